/**
 * Publishes each trained user's history to the feature store, where the edge merges it
 * with the live session (models/trained-history.ts). Runs just before a version is
 * activated, so the version that learned from a history is never served without it.
 *
 * Erasure: the training read may predate an erasure. Items at or before a user's
 * tombstone are dropped before writing; after writing, tombstones are read again and the
 * values of users erased meanwhile are deleted, so a concurrent erasure is not undone.
 */
import { encodeTrainedHistory, type TrainedItem } from "../../models/trained-history.js";
import { hashUserId } from "../../models/user-hash.js";
import type { Db } from "../db/client.js";
import type { FeatureStore } from "../feature-store/feature-store.js";
import { tombstonesOf } from "../users/erased-users.js";

export interface HistoryPublisher {
  /** Writes every user's value; `onProgress` after each batch. Resolves with the users written. */
  publish(histories: ReadonlyMap<string, readonly TrainedItem[]>, onProgress?: (done: number, total: number) => void): Promise<number>;
}

export interface HistoryPublisherDeps {
  db: Db;
  featureStore: Pick<FeatureStore, "writeTrainedHistories" | "deleteTrainedHistories">;
  userIdHashKey: string;
  /** Users per feature-store round trip. Default 500. */
  batchSize?: number;
}

export function createHistoryPublisher(deps: HistoryPublisherDeps): HistoryPublisher {
  const batchSize = deps.batchSize ?? 500;
  return {
    async publish(histories, onProgress) {
      const users = [...histories.keys()];
      let written = 0;
      for (let start = 0; start < users.length; start += batchSize) {
        written += await publishBatch(deps, users.slice(start, start + batchSize), histories);
        onProgress?.(Math.min(users.length, start + batchSize), users.length);
      }
      return written;
    },
  };
}

async function publishBatch(deps: HistoryPublisherDeps, users: readonly string[], histories: ReadonlyMap<string, readonly TrainedItem[]>): Promise<number> {
  const hashes = await Promise.all(users.map((u) => hashUserId(u, deps.userIdHashKey)));
  const before = await tombstonesOf(deps.db, hashes);
  const entries: Array<[string, string]> = [];
  users.forEach((user, i) => {
    const erasedAt = before.get(hashes[i]!) ?? -Infinity;
    const kept = histories.get(user)!.filter((item) => item.ts > erasedAt);
    if (kept.length > 0) entries.push([user, encodeTrainedHistory(kept)]);
  });
  await deps.featureStore.writeTrainedHistories(entries);
  const after = await tombstonesOf(deps.db, hashes);
  const raced = users.filter((_, i) => after.has(hashes[i]!) && after.get(hashes[i]!) !== before.get(hashes[i]!));
  await deps.featureStore.deleteTrainedHistories(raced);
  const racedSet = new Set(raced);
  return entries.filter(([user]) => !racedSet.has(user)).length;
}
