/**
 * API keys: the scopes a key may carry and the key set the backend publishes to the
 * edge, so the edge checks keys without a round trip. Only hashes ever leave the
 * backend; the plain key is shown once, at creation.
 */
import { z } from "zod";
import { sha256Hex } from "./hash.js";

/**
 * recs:read / events:write: browsers' and apps' calls; recs:bulk: lists for many users
 * at once (email, push); models:publish: training, promotion, rollback, canaries and
 * shadows; experiments:write: experiment lifecycle; admin: all of these plus keys and
 * erasure.
 */
export const SCOPES = ["events:write", "recs:read", "recs:bulk", "models:publish", "experiments:write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** Keys for local development carry this prefix; production refuses them outright. */
export const LOCAL_KEY_PREFIX = "rk_local_";

export const PublishedKeySchema = z.strictObject({
  id: z.string().min(1).max(64),
  hash: z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest"),
  scopes: z.array(z.enum(SCOPES)).min(1),
  expires_at: z.number().int().nullable(),
});
export type PublishedKey = z.infer<typeof PublishedKeySchema>;

export const KeySetSchema = z.strictObject({
  keys: z.array(PublishedKeySchema).max(10_000),
});
export type KeySet = z.infer<typeof KeySetSchema>;

/** sha256 hex; WebCrypto so the same code runs in Node and workerd. */
export async function hashApiKey(key: string): Promise<string> {
  return await sha256Hex(key);
}

/** `admin` implies every other scope. */
export function hasScope(granted: readonly Scope[], needed: Scope): boolean {
  return granted.includes(needed) || granted.includes("admin");
}
