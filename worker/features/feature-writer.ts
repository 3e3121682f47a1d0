/**
 * Applies a batch of events to the real-time features in Redis: decayed popularity per
 * window (overall and per category), co-view and co-purchase counts, and each user's
 * short history that pairing needs.
 *
 * Idempotency: an event marks `evt:<event_id>` (SET NX) before it is counted, so the
 * queue's at-least-once redelivery does not count it twice. If counting then fails the
 * marks are removed, so the retry counts it.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import type { EdgeItemRecord } from "../../models/catalog.js";
import type { EventType, StoredEvent } from "../../models/events.js";
import { keys } from "../../models/feature-keys.js";
import { keyedLists } from "./history.js";
import { parseItemRecord } from "./item-records.js";
import { planFeatureWrites, type FeatureState, type WriteOp } from "./write-plan.js";

const SEEN_TTL_S = 8 * 24 * 3600;
const CHUNK = 1000;

export interface WriteResult {
  counted: number;
  alreadyCounted: number;
}

export async function applyEventsToFeatures(
  redis: Redis,
  events: readonly StoredEvent[],
  weights: Record<EventType, number>,
  now: number,
): Promise<WriteResult> {
  if (events.length === 0) return { counted: 0, alreadyCounted: 0 };
  const fresh = await markFresh(redis, events);
  if (fresh.length > 0) {
    try {
      const state = await readState(redis, fresh);
      await applyOps(redis, planFeatureWrites(fresh, state, weights, now));
    } catch (err) {
      await redis.del(...fresh.map((e) => keys.eventSeen(e.event_id))).catch(() => undefined);
      throw err;
    }
  }
  return { counted: fresh.length, alreadyCounted: events.length - fresh.length };
}

async function markFresh(redis: Redis, events: readonly StoredEvent[]): Promise<StoredEvent[]> {
  const unique = [...new Map(events.map((e) => [e.event_id, e])).values()];
  const p = redis.pipeline();
  for (const e of unique) p.set(keys.eventSeen(e.event_id), "1", { nx: true, ex: SEEN_TTL_S });
  const marks = await p.exec();
  return unique.filter((_, i) => marks[i] === "OK");
}

async function readState(redis: Redis, events: readonly StoredEvent[]): Promise<FeatureState> {
  const itemIds = [...new Set(events.map((e) => e.item_id))];
  const userIds = [...new Set(events.map((e) => e.user_id))];
  const p = redis.pipeline();
  p.mget(...itemIds.map(keys.item));
  for (const u of userIds) {
    p.lrange(keys.userRecent(u), 0, -1);
    p.lrange(keys.userPurchases(u), 0, -1);
  }
  const [records, ...lists] = await p.exec<unknown[]>();
  const items = new Map<string, EdgeItemRecord>();
  (Array.isArray(records) ? records : []).forEach((raw, i) => {
    const rec = parseItemRecord(raw);
    if (rec) items.set(itemIds[i]!, rec);
  });
  return {
    items,
    recent: keyedLists(
      userIds,
      lists.filter((_, i) => i % 2 === 0),
    ),
    purchases: keyedLists(
      userIds,
      lists.filter((_, i) => i % 2 === 1),
    ),
  };
}

async function applyOps(redis: Redis, ops: readonly WriteOp[]): Promise<void> {
  for (let i = 0; i < ops.length; i += CHUNK) {
    const p = redis.pipeline();
    for (const op of ops.slice(i, i + CHUNK)) {
      switch (op.op) {
        case "zincrby":
          p.zincrby(op.key, op.by, op.member);
          break;
        case "lpush":
          p.lpush(op.key, ...op.values);
          break;
        case "ltrim":
          p.ltrim(op.key, 0, op.keep - 1);
          break;
        case "expire":
          p.expire(op.key, op.seconds);
          break;
        case "ztrim":
          p.zremrangebyrank(op.key, 0, -(op.keep + 1));
          break;
      }
    }
    await p.exec();
  }
}
