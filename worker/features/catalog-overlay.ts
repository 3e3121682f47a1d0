/**
 * Which catalog records changed since a model version's snapshot (catalog.json), so the
 * catalog stage reads live only those and takes the rest from the snapshot: no round trip
 * for records on the hot path, however cold the isolate's record cache.
 *
 * The backend stamps every record change in `recs:catalog:changed` and keeps
 * `recs:catalog:since`, the time from which that set is complete (models/catalog-changes.ts).
 * An isolate polls the set at most every OVERLAY_TTL_MS, riding in the request's features
 * pipeline, and keeps each changed id with its newest stamp. A snapshot taken at T is used
 * only while the poll has caught up from T and `since` ≤ T; otherwise, or for an id stamped
 * at or after T, the record is read live as before. A poll that cannot run (Redis down)
 * leaves the last known changes in place: the snapshot plus them is the best answer then.
 */
import type { EdgeItemRecord } from "../../models/catalog.js";
import { keys } from "../../models/feature-keys.js";
import { pairsFromFlat } from "./redis-client.js";

export interface CatalogSnapshot {
  /** Epoch ms: changes stamped from then on are read live. */
  takenAt: number;
  records: ReadonlyMap<string, EdgeItemRecord>;
}

/** How often an isolate asks what changed: a record change reaches lists within this. */
export const OVERLAY_TTL_MS = 5_000;
/** Concurrent writers can land out of stamp order: each poll re-reads this much before its newest stamp. */
export const REREAD_MS = 10_000;
/** Changes per poll; a full page polls again on the next request. */
export const CHANGES_PAGE = 5_000;
/** Past this many changed ids the isolate stops using snapshots (reads every record live). */
export const MAX_TRACKED_CHANGES = 100_000;

export interface OverlayState {
  /** The oldest snapshot time asked for; changes are tracked from it. null: none asked yet. */
  floor: number | null;
  /** Next poll reads stamps ≥ cursor. */
  cursor: number;
  newest: number;
  changed: Map<string, number>;
  since: number | null;
  caughtUp: boolean;
  /** Set when the changes cannot be followed (too many, or a page of one stamp): snapshots are not used. */
  lost: boolean;
  polledAt: number;
}

export function freshOverlay(floor: number | null = null): OverlayState {
  return { floor, cursor: floor ?? 0, newest: -Infinity, changed: new Map(), since: null, caughtUp: false, lost: false, polledAt: -Infinity };
}

let state = freshOverlay();

/** For tests: behave like a fresh isolate. */
export function resetCatalogOverlay(): void {
  state = freshOverlay();
}

/** Makes the overlay follow changes from `takenAt` on (a no-op once it follows from earlier). */
export function coverSnapshot(takenAt: number): void {
  if (state.floor === null || takenAt < state.floor) state = freshOverlay(takenAt);
}

/** Folds one poll's replies (ZRANGE … WITHSCORES, GET since) into the state; returns the ids whose change is new. */
export function applyPoll(s: OverlayState, flat: unknown, sinceRaw: unknown): string[] {
  const page = pairsFromFlat(flat);
  const fresh: string[] = [];
  let top = -Infinity;
  for (const [id, stamp] of page) {
    if (stamp > (s.changed.get(id) ?? -Infinity)) {
      s.changed.set(id, stamp);
      fresh.push(id);
    }
    top = Math.max(top, stamp);
  }
  s.newest = Math.max(s.newest, top);
  const since = sinceRaw === null || sinceRaw === undefined ? null : Number(sinceRaw);
  s.since = since !== null && Number.isFinite(since) ? since : null;
  if (page.length >= CHANGES_PAGE) {
    // More to read from the newest stamp on; a whole page of one stamp could never advance.
    if (top <= s.cursor) s.lost = true;
    s.cursor = top;
    s.caughtUp = false;
    s.polledAt = -Infinity;
  } else {
    s.cursor = Math.max(s.cursor, s.newest - REREAD_MS);
    s.caughtUp = true;
  }
  if (s.changed.size > MAX_TRACKED_CHANGES) s.lost = true;
  return fresh;
}

/** Whether `snapshot` can answer for every id the overlay does not name as changed. */
export function snapshotUsable(s: OverlayState, snapshot: CatalogSnapshot): boolean {
  return !s.lost && s.caughtUp && s.floor !== null && s.floor <= snapshot.takenAt && s.since !== null && s.since <= snapshot.takenAt;
}

export function changedSince(s: OverlayState, id: string, takenAt: number): boolean {
  return (s.changed.get(id) ?? -Infinity) >= takenAt;
}

/** The isolate's overlay, as the record reads use it. */
export function overlay(): OverlayState {
  return state;
}

/** Whether the next features pipeline should carry a poll. */
export function catalogPollDue(now: number): boolean {
  return state.floor !== null && !state.lost && now - state.polledAt >= OVERLAY_TTL_MS;
}

interface PollPipe {
  zrange(key: string, min: number, max: "+inf", opts: { byScore: true; withScores: true; offset: number; count: number }): unknown;
  get(key: string): unknown;
}

/**
 * Queues a poll as the last two commands on `p` (the caller checked catalogPollDue) and
 * returns what to do with their replies once the caller has run the pipeline.
 */
export function queuePoll(p: PollPipe, now: number): (replies: readonly unknown[]) => string[] {
  const s = state;
  s.polledAt = now;
  p.zrange(keys.catalogChanged(), s.cursor, "+inf", { byScore: true, withScores: true, offset: 0, count: CHANGES_PAGE });
  p.get(keys.catalogCompleteSince());
  // A reset (a new, older snapshot) while the pipeline ran leaves the new state alone.
  return (replies) => (state === s ? applyPoll(s, replies[0], replies[1]) : []);
}
