/**
 * The queue consumer's side of erasure: before a batch touches Redis or the backend,
 * rows of users with a Redis tombstone accepted at or before their erasure are dropped
 * (one MGET per batch). After the feature write a second MGET catches an erasure that
 * landed in between (it deleted the history keys just before this batch wrote them), and
 * deletes those keys again.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import { usersIn, withoutErased, type DroppedCounts } from "../../models/erasure.js";
import type { IngestBatch } from "../../models/events.js";
import { keys } from "../../models/feature-keys.js";
import { hashUserId } from "../../models/user-hash.js";
import { readRedisTombstones } from "./redis-tombstones.js";

export interface ErasureCheck {
  batch: IngestBatch;
  dropped: DroppedCounts;
  /** Checks again after the batch's writes, and removes what a concurrent erasure missed. */
  sweepRaced: () => Promise<number>;
}

export async function dropErased(redis: Redis, received: IngestBatch, hashKey: string): Promise<ErasureCheck> {
  const users = await Promise.all(usersIn(received).map(async (userId) => ({ userId, hash: await hashUserId(userId, hashKey) })));
  const before = await readRedisTombstones(redis, users);
  const { batch, dropped } = withoutErased(received, before);
  const written = new Set(batch.events.map((e) => e.user_id));
  const writtenUsers = users.filter((u) => written.has(u.userId));
  const sweepRaced = async () => {
    if (writtenUsers.length === 0) return 0;
    const after = await readRedisTombstones(redis, writtenUsers);
    const raced = writtenUsers.filter((u) => after.has(u.userId) && after.get(u.userId) !== before.get(u.userId));
    if (raced.length === 0) return 0;
    return await redis.del(...raced.flatMap((u) => [keys.userRecent(u.userId), keys.userPurchases(u.userId)]));
  };
  return { batch, dropped, sweepRaced };
}
