/**
 * The backend's writes to the real-time feature store (Upstash Redis over REST): the
 * compact item records the edge reads per candidate (with the change set of
 * models/catalog-changes.ts), and each user's trained history. Requests fail fast — no client
 * retries, a short timeout — because the caller has its own recovery (catalog-sync.ts).
 */
import { Redis } from "@upstash/redis";
import { toEdgeItemRecord, type CatalogItem } from "../../models/catalog.js";
import { RECORD_WRITE_SCRIPT, recordWrite } from "../../models/catalog-changes.js";
import { keys } from "../../models/feature-keys.js";

export type ItemRecordSource = Pick<CatalogItem, "item_id" | "title" | "category" | "price" | "available">;

export interface FeatureStore {
  writeItemRecords(items: readonly ItemRecordSource[]): Promise<void>;
  /** One value per user, as models/trained-history.ts encodes it; one round trip. */
  writeTrainedHistories(entries: ReadonlyArray<readonly [userId: string, encoded: string]>): Promise<void>;
  deleteTrainedHistories(userIds: readonly string[]): Promise<void>;
  /** The database id recorded as this store's owner, or null. */
  owner(): Promise<string | null>;
  /** Deletes every key of the service (SCAN, batched DEL), then records `owner`. Resolves with the keys deleted. */
  resetFor(owner: string): Promise<number>;
  /** Resolves when the REST endpoint answers PING. */
  ping(): Promise<void>;
}

export interface FeatureStoreOptions {
  url: string;
  token: string;
  timeoutMs?: number;
  /** The clock that stamps record changes; tests pin it. */
  now?: () => number;
}

export function createFeatureStore(options: FeatureStoreOptions): FeatureStore {
  const timeoutMs = options.timeoutMs ?? 3000;
  const now = options.now ?? Date.now;
  const redis = new Redis({
    url: options.url,
    // The client warns on every request without a token; a local gateway started without
    // one does not check it, so any placeholder will do there.
    token: options.token || "no-token",
    retry: false,
    enableTelemetry: false,
    signal: () => AbortSignal.timeout(timeoutMs),
  });
  return {
    async writeItemRecords(items) {
      if (items.length === 0) return;
      // One script call: records and the change set the edge's snapshot overlay reads move together.
      const write = recordWrite(
        items.map((item) => [item.item_id, JSON.stringify(toEdgeItemRecord(item))] as const),
        now(),
      );
      await redis.eval(RECORD_WRITE_SCRIPT, write.keys, write.args);
    },
    async writeTrainedHistories(entries) {
      if (entries.length === 0) return;
      const pipeline = redis.pipeline();
      for (const [userId, encoded] of entries) pipeline.set(keys.trainedHistory(userId), encoded);
      await pipeline.exec();
    },
    async deleteTrainedHistories(userIds) {
      if (userIds.length > 0) await redis.del(...userIds.map(keys.trainedHistory));
    },
    async owner() {
      const v = await redis.get<string>(keys.owner());
      return v === null ? null : String(v);
    },
    async resetFor(owner) {
      let deleted = 0;
      let cursor = "0";
      do {
        const [next, found] = await redis.scan(cursor, { match: keys.all(), count: 1000 });
        cursor = String(next);
        if (found.length > 0) deleted += await redis.del(...found);
      } while (cursor !== "0");
      await redis.set(keys.owner(), owner);
      return deleted;
    },
    async ping() {
      const answer = await redis.ping();
      if (answer !== "PONG") throw new Error(`unexpected PING answer: ${String(answer)}`);
    },
  };
}
