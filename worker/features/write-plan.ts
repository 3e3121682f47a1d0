/**
 * The Redis writes a batch of fresh events implies, as plain data. Pure, so the
 * feature definitions (what counts, with what weight, under which key) are tested
 * without Redis.
 */
import type { EdgeItemRecord } from "../../models/catalog.js";
import type { EventType, StoredEvent } from "../../models/events.js";
import { POPULARITY_WINDOWS, keys } from "../../models/feature-keys.js";
import { CO_PURCHASE_RULES, CO_VIEW_RULES, pairIncrements, type PairRules, type TimedItem } from "./co-occurrence.js";
import { epochLengthMs, forwardIncrement } from "./forward-decay.js";
import { encodeHistoryEntry } from "./history.js";

export type WriteOp =
  | { op: "zincrby"; key: string; by: number; member: string }
  | { op: "lpush"; key: string; values: string[] }
  | { op: "ltrim"; key: string; keep: number }
  | { op: "expire"; key: string; seconds: number }
  | { op: "ztrim"; key: string; keep: number };

export interface FeatureState {
  items: ReadonlyMap<string, EdgeItemRecord>;
  recent: ReadonlyMap<string, TimedItem[]>;
  purchases: ReadonlyMap<string, TimedItem[]>;
}

export const HISTORY_LENGTH = 50;
const HISTORY_TTL_S = 30 * 24 * 3600;
const NEIGHBOURS_KEPT = 200;
const POPULAR_KEPT = 5000;
/** Interactions that express interest; a dismissal must not make items look related. */
const PAIRING_TYPES: ReadonlySet<EventType> = new Set(["view", "click", "add_to_cart", "purchase", "rating", "watch", "wishlist"]);

export function planFeatureWrites(events: readonly StoredEvent[], state: FeatureState, weights: Record<EventType, number>, now: number): WriteOp[] {
  return [...popularityOps(events, state, weights, now), ...userOps(events, state)];
}

function popularityOps(events: readonly StoredEvent[], state: FeatureState, weights: Record<EventType, number>, now: number): WriteOp[] {
  const totals = new Map<string, Map<string, number>>();
  const add = (key: string, member: string, by: number) => {
    const m = totals.get(key) ?? new Map<string, number>();
    m.set(member, (m.get(member) ?? 0) + by);
    totals.set(key, m);
  };
  for (const e of events) {
    const category = state.items.get(e.item_id)?.category;
    for (const w of POPULARITY_WINDOWS) {
      const inc = forwardIncrement(w, weights[e.type], e.ts, now);
      if (!inc) continue;
      add(keys.popularity(w, inc.epoch), e.item_id, inc.increment);
      if (category) add(keys.popularity(w, inc.epoch, category), e.item_id, inc.increment);
    }
  }
  const ops: WriteOp[] = [];
  for (const [key, members] of totals) {
    for (const [member, by] of members) ops.push({ op: "zincrby", key, by, member });
    ops.push({ op: "ztrim", key, keep: POPULAR_KEPT });
    ops.push({ op: "expire", key, seconds: expiryFor(key) });
  }
  return ops;
}

/** A popularity key outlives its epoch by one more epoch, when it is still read as "previous". */
function expiryFor(key: string): number {
  const window = POPULARITY_WINDOWS.find((w) => key.includes(`:pop:${w}:`)) ?? "7d";
  return Math.ceil((3 * epochLengthMs(window)) / 1000);
}

function userOps(events: readonly StoredEvent[], state: FeatureState): WriteOp[] {
  const ops: WriteOp[] = [];
  for (const [userId, userEvents] of groupBy(events, (e) => e.user_id)) {
    const interested = userEvents.filter((e) => PAIRING_TYPES.has(e.type)).map(timed);
    const bought = userEvents.filter((e) => e.type === "purchase").map(timed);
    ops.push(...pairOps(state.recent.get(userId) ?? [], interested, CO_VIEW_RULES, keys.coView));
    ops.push(...pairOps(state.purchases.get(userId) ?? [], bought, CO_PURCHASE_RULES, keys.coPurchase));
    ops.push(...historyOps(keys.userRecent(userId), interested));
    ops.push(...historyOps(keys.userPurchases(userId), bought));
  }
  return ops;
}

function pairOps(history: TimedItem[], incoming: TimedItem[], rules: PairRules, keyOf: (item: string) => string): WriteOp[] {
  const ops: WriteOp[] = [];
  const touched = new Set<string>();
  for (const [a, b] of pairIncrements(history, incoming, rules)) {
    ops.push({ op: "zincrby", key: keyOf(a), by: 1, member: b }, { op: "zincrby", key: keyOf(b), by: 1, member: a });
    touched.add(keyOf(a)).add(keyOf(b));
  }
  for (const key of touched) ops.push({ op: "ztrim", key, keep: NEIGHBOURS_KEPT });
  return ops;
}

function historyOps(key: string, incoming: TimedItem[]): WriteOp[] {
  if (incoming.length === 0) return [];
  const values = [...incoming].sort((a, b) => a.ts - b.ts).map(encodeHistoryEntry);
  return [
    { op: "lpush", key, values },
    { op: "ltrim", key, keep: HISTORY_LENGTH },
    { op: "expire", key, seconds: HISTORY_TTL_S },
  ];
}

function timed(e: StoredEvent): TimedItem {
  return { item_id: e.item_id, ts: e.ts };
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}
