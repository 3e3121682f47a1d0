/**
 * Erasure tombstones, shared by the edge's queue consumer and the backend's ingest:
 * rows of an erased user that the edge accepted at or before the erasure are dropped
 * wherever they arrive later, so replaying in-flight (or dead-lettered) batches cannot
 * bring erased data back. Rows accepted after it belong to the user's new life and stay.
 */
import type { IngestBatch } from "./events.js";

/** Redis tombstones outlive the queue's retry horizon (12 retries, about 40 minutes) many times over. */
export const REDIS_TOMBSTONE_TTL_S = 14 * 24 * 3600;

/**
 * When the edge accepted a row: `received_at` when present; otherwise (rows from edges
 * that predate it) the row's own time, which for served lists is the edge's clock and
 * for events is at most a few minutes after acceptance — so the fallback drops, if
 * anything, a little more.
 */
export function acceptedAt(row: { ts: number; received_at?: number | undefined }): number {
  return row.received_at ?? row.ts;
}

export interface DroppedCounts {
  events: number;
  feedback: number;
  served: number;
  shadow: number;
}

/**
 * The batch without the rows of tombstoned users accepted at or before their erasure.
 * `tombstones` maps user ids (not hashes: the caller hashes once per user) to erased_at.
 */
export function withoutErased(batch: IngestBatch, tombstones: ReadonlyMap<string, number>): { batch: IngestBatch; dropped: DroppedCounts } {
  if (tombstones.size === 0) return { batch, dropped: { events: 0, feedback: 0, served: 0, shadow: 0 } };
  const keep = (row: { user_id: string; ts: number; received_at?: number | undefined }) => {
    const erasedAt = tombstones.get(row.user_id);
    return erasedAt === undefined || acceptedAt(row) > erasedAt;
  };
  const events = batch.events.filter(keep);
  const feedback = batch.feedback.filter(keep);
  const served = batch.served.filter(keep);
  const shadow = batch.shadow.filter(keep);
  return {
    batch: { events, feedback, served, shadow, rejected: batch.rejected },
    dropped: {
      events: batch.events.length - events.length,
      feedback: batch.feedback.length - feedback.length,
      served: batch.served.length - served.length,
      shadow: batch.shadow.length - shadow.length,
    },
  };
}

/** Every user named in a batch, once. */
export function usersIn(batch: IngestBatch): string[] {
  return [...new Set([...batch.events, ...batch.feedback, ...batch.served, ...batch.shadow].map((r) => r.user_id))];
}
