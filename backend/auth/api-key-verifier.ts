/**
 * Checks a presented API key against the api_keys table. Lookups (hits and misses) are
 * cached for at most `cacheTtlMs` so a busy client costs one query per TTL, not one per
 * request; revocation therefore takes effect within that TTL. Expiry is checked on
 * every call, against the clock, not the cache.
 */
import { hashApiKey, type Scope } from "../../models/api-keys.js";
import type { Db } from "../db/client.js";
import { findApiKeyByHash, knownScopes } from "./api-key-store.js";
import { isLocalKey } from "./api-key-generation.js";

export type Verification = { ok: true; keyId: string; scopes: Scope[] } | { ok: false; reason: "unknown" | "revoked" | "expired" | "local_key_in_production" };

export interface ApiKeyVerifier {
  verify(key: string): Promise<Verification>;
  /** Drops cached lookups, e.g. right after a key is revoked. */
  clear(): void;
}

export interface VerifierOptions {
  db: Db;
  isProduction: boolean;
  /** At most 30 s; 0 disables the cache. */
  cacheTtlMs?: number;
  now?: () => number;
}

interface CachedKey {
  keyId: string;
  scopes: Scope[];
  expiresAt: number | null;
  revoked: boolean;
}

const MAX_CACHE_TTL_MS = 30_000;
/** Bounds memory when a client sprays random keys: misses are cached too. */
const MAX_CACHE_ENTRIES = 10_000;

export function createApiKeyVerifier(options: VerifierOptions): ApiKeyVerifier {
  const ttl = Math.min(options.cacheTtlMs ?? MAX_CACHE_TTL_MS, MAX_CACHE_TTL_MS);
  const now = options.now ?? Date.now;
  const cache = new Map<string, { value: CachedKey | null; until: number }>();

  async function lookup(hash: string): Promise<CachedKey | null> {
    const cached = cache.get(hash);
    if (cached && cached.until > now()) return cached.value;
    const row = await findApiKeyByHash(options.db, hash);
    const value = row && {
      keyId: row.id,
      scopes: knownScopes(row.scopes),
      expiresAt: row.expiresAt?.getTime() ?? null,
      revoked: row.revokedAt !== null,
    };
    if (ttl > 0) {
      if (cache.size >= MAX_CACHE_ENTRIES) cache.clear();
      cache.set(hash, { value, until: now() + ttl });
    }
    return value;
  }

  return {
    async verify(key) {
      if (options.isProduction && isLocalKey(key)) return { ok: false, reason: "local_key_in_production" };
      const found = await lookup(await hashApiKey(key));
      if (!found) return { ok: false, reason: "unknown" };
      if (found.revoked) return { ok: false, reason: "revoked" };
      if (found.expiresAt !== null && found.expiresAt <= now()) return { ok: false, reason: "expired" };
      return { ok: true, keyId: found.keyId, scopes: found.scopes };
    },
    clear: () => cache.clear(),
  };
}
