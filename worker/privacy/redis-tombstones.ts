/**
 * Erasure tombstones in Redis (`recs:tomb:{hash}` = erased_at, epoch ms), read by the
 * queue consumer with one MGET per batch. They expire after REDIS_TOMBSTONE_TTL_S,
 * far beyond the queue's retry horizon; the backend keeps its own (erased_users) for good.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import { REDIS_TOMBSTONE_TTL_S } from "../../models/erasure.js";
import { keys } from "../../models/feature-keys.js";

export async function writeRedisTombstone(redis: Redis, userHash: string, erasedAt: number): Promise<void> {
  await redis.set(keys.tombstone(userHash), String(erasedAt), { ex: REDIS_TOMBSTONE_TTL_S });
}

/** erased_at per user id (of those tombstoned), from one MGET. */
export async function readRedisTombstones(redis: Redis, users: ReadonlyArray<{ userId: string; hash: string }>): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  if (users.length === 0) return found;
  const values = await redis.mget<unknown[]>(...users.map((u) => keys.tombstone(u.hash)));
  values.forEach((raw, i) => {
    const at = Number(raw);
    if (raw !== null && raw !== undefined && Number.isFinite(at)) found.set(users[i]!.userId, at);
  });
  return found;
}
