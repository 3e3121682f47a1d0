/**
 * What the edge knows of a user from training: the items of the user's trained history,
 * each with its summed event weight and latest time, newest first. The backend writes one
 * Redis string per user (`keys.trainedHistory`) when a version trained on that history is
 * activated; the edge merges it with the live session. Without it, a user whose history
 * arrived by import, or is older than the session object's last 50 events, would get
 * non-personal lists from a model that was trained on them.
 *
 * Encoding: one line per item, `<item>\t<weight>\t<ts>`. Ids cannot hold tabs or
 * newlines (models/events.ts), so the encoding is unambiguous.
 */
import type { HistoryEvent } from "./feature-spec.js";

/** Newest items kept per user: bounds the Redis value (~10 KB) and the edge's gather-sum. */
export const TRAINED_HISTORY_MAX_ITEMS = 500;

export interface TrainedItem {
  readonly item_id: string;
  /** Sum of the user's event weights on the item. */
  readonly weight: number;
  /** Epoch ms of the user's latest event on the item. */
  readonly ts: number;
}

interface WeightedEvent {
  readonly user_id: string;
  readonly item_id: string;
  readonly ts: number;
  readonly weight: number;
}

/** Per user, the items of the log summed and ordered newest first, at most `maxItems`. */
export function trainedHistories(log: Iterable<WeightedEvent>, maxItems = TRAINED_HISTORY_MAX_ITEMS): Map<string, TrainedItem[]> {
  const byUser = new Map<string, Map<string, { weight: number; ts: number }>>();
  for (const e of log) {
    let items = byUser.get(e.user_id);
    if (!items) byUser.set(e.user_id, (items = new Map()));
    const seen = items.get(e.item_id);
    if (seen) {
      seen.weight += e.weight;
      seen.ts = Math.max(seen.ts, e.ts);
    } else items.set(e.item_id, { weight: e.weight, ts: e.ts });
  }
  const out = new Map<string, TrainedItem[]>();
  for (const [user, items] of byUser) {
    const list = [...items].map(([item_id, v]) => ({ item_id, weight: v.weight, ts: v.ts }));
    list.sort((a, b) => b.ts - a.ts || (a.item_id < b.item_id ? -1 : a.item_id > b.item_id ? 1 : 0));
    out.set(user, list.slice(0, maxItems));
  }
  return out;
}

export function encodeTrainedHistory(items: readonly TrainedItem[]): string {
  return items.map((i) => `${i.item_id}\t${i.weight}\t${i.ts}`).join("\n");
}

/** Malformed lines are skipped: a damaged value costs personalisation, never the request. */
export function decodeTrainedHistory(raw: unknown): TrainedItem[] {
  if (typeof raw !== "string" || raw === "") return [];
  const out: TrainedItem[] = [];
  for (const line of raw.split("\n")) {
    const [item_id, w, t] = line.split("\t");
    const weight = Number(w);
    const ts = Number(t);
    if (item_id && w !== undefined && t !== undefined && Number.isFinite(weight) && Number.isFinite(ts)) out.push({ item_id, weight, ts });
  }
  return out;
}

/**
 * The history serving works from: the trained items, plus the session's events newer
 * than the newest trained one (older session events were in the training data already,
 * and counting them twice would double their weight). Newest first.
 */
export function withTrainedHistory(session: readonly HistoryEvent[], trained: readonly TrainedItem[]): HistoryEvent[] {
  if (trained.length === 0) return [...session];
  let asOf = -Infinity;
  for (const t of trained) asOf = Math.max(asOf, t.ts);
  const merged: HistoryEvent[] = [...session.filter((e) => e.ts > asOf), ...trained];
  return merged.sort((a, b) => b.ts - a.ts);
}
