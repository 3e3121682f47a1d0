/**
 * User ids in the audit log are HMAC-SHA256 digests keyed with USER_ID_HASH_KEY: an
 * erasure can be traced ("was user X erased, and when?" — hash X and look) without the
 * log keeping the id it was asked to forget. Keyed, so ids cannot be guessed back by
 * hashing candidate ids without the key.
 */
import { createHmac } from "node:crypto";

export function hashUserId(key: string, userId: string): string {
  return createHmac("sha256", key).update(userId, "utf8").digest("hex");
}
