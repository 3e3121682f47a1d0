/**
 * API key checks without a backend round trip: the backend publishes the hashed key
 * set to KV (`PUT /v1/admin/keys`), and each isolate keeps a copy for at most
 * KEYSET_TTL_MS, so a revocation (the key leaving the set) takes effect within that time.
 */
import { KeySetSchema, LOCAL_KEY_PREFIX, hashApiKey, type PublishedKey } from "../../models/api-keys.js";
import type { Env } from "../env.js";
import { ApiError } from "../http/errors.js";

export const KEYSET_KV_KEY = "auth:keyset";
export const KEYSET_TTL_MS = 30_000;
/** Every API key starts so; anything else after `Bearer` is taken for a JWT. */
export const API_KEY_PREFIX = "rk_";
const MAX_KEY_LENGTH = 256;

let cached: { at: number; byHash: Map<string, PublishedKey> } | null = null;

/** Tests and the admin endpoint drop the isolate's copy so a change is seen at once. */
export function forgetKeySet(): void {
  cached = null;
}

async function keyIndex(env: Env): Promise<Map<string, PublishedKey>> {
  if (cached && Date.now() - cached.at < KEYSET_TTL_MS) return cached.byHash;
  const raw = await env.CONFIG.get(KEYSET_KV_KEY, "json");
  const parsed = KeySetSchema.safeParse(raw ?? { keys: [] });
  const byHash = new Map((parsed.success ? parsed.data.keys : []).map((k) => [k.hash, k]));
  cached = { at: Date.now(), byHash };
  return byHash;
}

/** The published key for `key`, or a 401 naming why it is refused (unknown and revoked look alike). */
export async function findApiKey(env: Env, key: string): Promise<PublishedKey> {
  if (key.length > MAX_KEY_LENGTH) throw new ApiError(401, "unauthorized", "invalid API key", "authorization");
  if (env.ENVIRONMENT === "production" && key.startsWith(LOCAL_KEY_PREFIX)) {
    throw new ApiError(401, "unauthorized", "local development keys are refused in production", "authorization");
  }
  const found = (await keyIndex(env)).get(await hashApiKey(key));
  if (!found) throw new ApiError(401, "unauthorized", "invalid or revoked API key", "authorization");
  if (found.expires_at !== null && found.expires_at <= Date.now()) {
    throw new ApiError(401, "unauthorized", "expired API key", "authorization");
  }
  return found;
}
