/**
 * RateLimiter: one token bucket per principal (an end user or an API key), addressed
 * with idFromName, so every isolate in every location draws from the same bucket.
 *
 * The caller passes the limit and window on each call instead of the object reading
 * them from its own env: a limit change (or a test's override) takes effect on the next
 * request, and the object holds no configuration of its own.
 *
 * The bucket is two numbers in synchronous KV storage: a write per call is cheap (it is
 * coalesced with the call's output), and an evicted object resumes its bucket instead
 * of granting a fresh burst to whoever woke it up.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env.js";

export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left after this call. */
  remaining: number;
  /** When denied: milliseconds until `cost` tokens are available (0 when allowed). */
  retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Milliseconds until one token is available (0 when at least one is left). */
  emptyForMs: number;
  /** Tokens granted beyond `cost` for the caller to spend on its own (a lease), whole. */
  leased: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const BUCKET_KEY = "bucket";

export class RateLimiter extends DurableObject<Env> {
  /**
   * Takes `cost` tokens from a bucket holding at most `limit` that refills `limit`
   * tokens per `windowMs`. A cost above the limit is capped at it, so a large request
   * (a bulk call) waits for a full bucket instead of being refused forever. When the
   * call is allowed, up to `lease` more whole tokens are taken for the caller to spend
   * without asking again; they are gone from the bucket, so no principal ever gets more
   * than its limit, however many isolates hold leases.
   */
  take(cost: number, limit: number, windowMs: number, lease = 0): TakeResult {
    const now = Date.now();
    const capacity = Math.max(1, Math.floor(limit));
    const perMs = capacity / Math.max(1, windowMs);
    const need = Math.min(Math.max(1, Math.ceil(cost)), capacity);
    const stored = this.ctx.storage.kv.get<Bucket>(BUCKET_KEY);
    const elapsed = stored ? Math.max(0, now - stored.at) : 0;
    const tokens = stored ? Math.min(capacity, stored.tokens + elapsed * perMs) : capacity;
    const allowed = tokens >= need;
    const leased = allowed ? Math.max(0, Math.min(Math.floor(lease), Math.floor(tokens - need))) : 0;
    const left = allowed ? tokens - need - leased : tokens;
    this.ctx.storage.kv.put<Bucket>(BUCKET_KEY, { tokens: left, at: now });
    return {
      allowed,
      remaining: Math.floor(left),
      retryAfterMs: allowed ? 0 : Math.ceil((need - left) / perMs),
      resetMs: Math.ceil((capacity - left) / perMs),
      emptyForMs: left >= 1 ? 0 : Math.ceil((1 - left) / perMs),
      leased,
    };
  }
}
