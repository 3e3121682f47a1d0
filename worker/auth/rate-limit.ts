/**
 * Edge rate limits: one token bucket per principal in the RateLimiter Durable Object.
 * A principal the object has just reported empty is refused by this isolate until its
 * bucket has a token again, so a client flooding one location stops costing Durable
 * Object calls at all.
 *
 * Leases: each call to the object also takes up to 1 % of the limit (at most 100
 * tokens) for this isolate to spend within a second without asking again, so a busy
 * key costs one object call per lease instead of one per request (for the default
 * 6,000 a minute, one in 61). Leased tokens are gone from the bucket, so the limit
 * still holds across isolates; a lease left unspent only lowers what the principal
 * gets, by at most one lease per isolate per second.
 *
 * The limiter guards capacity; it is not worth an outage: if the object fails or is
 * slow the request goes through and a warning is logged.
 */
import type { Context } from "hono";
import type { TakeResult } from "../../durable-objects/rate-limiter.js";
import type { Env } from "../env.js";
import type { AppEnv, Principal } from "../http/app-types.js";
import { ApiError } from "../http/errors.js";

export const DEFAULT_USER_PER_MINUTE = 500;
export const DEFAULT_KEY_PER_MINUTE = 6000;
const DEFAULT_WINDOW_SECONDS = 60;
/** Longer than a healthy call in the same colo takes; past it the request is let through. */
export const LIMITER_TIMEOUT_MS = 200;
/** Bounds the isolate's memory of refused principals, and of leases. */
const MAX_BLOCKED = 10_000;

export interface RateLimits {
  userPerWindow: number;
  keyPerWindow: number;
  windowMs: number;
}

const limitsCache = new WeakMap<object, RateLimits>();

export function rateLimits(env: Env): RateLimits {
  let limits = limitsCache.get(env);
  if (!limits) {
    limits = {
      userPerWindow: positiveInt("RATE_LIMIT_USER_PER_MINUTE", env.RATE_LIMIT_USER_PER_MINUTE, DEFAULT_USER_PER_MINUTE),
      keyPerWindow: positiveInt("RATE_LIMIT_KEY_PER_MINUTE", env.RATE_LIMIT_KEY_PER_MINUTE, DEFAULT_KEY_PER_MINUTE),
      windowMs: positiveInt("RATE_LIMIT_WINDOW_SECONDS", env.RATE_LIMIT_WINDOW_SECONDS, DEFAULT_WINDOW_SECONDS) * 1000,
    };
    limitsCache.set(env, limits);
  }
  return limits;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (Number.isInteger(n) && n > 0) return n;
  console.warn(JSON.stringify({ level: "warn", msg: `ignoring ${name}`, value: raw, expected: "a positive integer" }));
  return fallback;
}

/** Principal name → epoch ms until which this isolate refuses it without asking the object. */
const blockedUntil = new Map<string, number>();

const LEASE_SHARE = 0.01;
const LEASE_MAX = 100;
const LEASE_TTL_MS = 1_000;

interface Lease {
  tokens: number;
  until: number;
  /** The object's tokens left when the lease was taken; with `tokens`, the remaining header. */
  bucketLeft: number;
  resetMs: number;
}

/** Principal name → tokens this isolate holds for it. */
const leases = new Map<string, Lease>();

function leaseSize(limit: number): number {
  return Math.min(LEASE_MAX, Math.floor(limit * LEASE_SHARE));
}

/** Tests start with no principal remembered as over its limit. */
export function forgetRateLimitBlocks(): void {
  blockedUntil.clear();
  leases.clear();
}

export function limiterName(principal: Principal): string {
  return principal.kind === "key" ? `key:${principal.key_id}` : `user:${principal.sub}`;
}

export async function enforceRateLimit(c: Context<AppEnv>, principal: Principal, cost: number): Promise<void> {
  const limits = rateLimits(c.env);
  const limit = principal.kind === "key" ? limits.keyPerWindow : limits.userPerWindow;
  await enforceNamedLimit(c, limiterName(principal), limit, limits.windowMs, cost);
}

/** Also used for callers without a principal (session issuance, limited per client address). */
export async function enforceNamedLimit(c: Context<AppEnv>, name: string, limit: number, windowMs: number, cost: number): Promise<void> {
  const now = Date.now();
  const policy = `${limit};w=${Math.round(windowMs / 1000)}`;
  const until = blockedUntil.get(name);
  if (until !== undefined) {
    if (until > now) throw tooMany(until - now, { limit, remaining: 0, resetMs: until - now, policy });
    blockedUntil.delete(name);
  }
  const lease = leases.get(name);
  if (lease && lease.until > now && lease.tokens >= cost) {
    lease.tokens -= cost;
    setHeaders(c, { limit, remaining: lease.bucketLeft + lease.tokens, resetMs: lease.resetMs, policy });
    return;
  }
  c.get("timing")?.trip(); // the limiter's Durable Object
  const result = await take(c.env, name, cost, limit, windowMs, leaseSize(limit));
  if (!result) return;
  if (result.emptyForMs > 0 && result.leased === 0) remember(name, now + result.emptyForMs);
  if (result.leased > 0) setBounded(leases, name, { tokens: result.leased, until: now + LEASE_TTL_MS, bucketLeft: result.remaining, resetMs: result.resetMs });
  else leases.delete(name);
  const headers = { limit, remaining: result.remaining + result.leased, resetMs: result.resetMs, policy };
  if (!result.allowed) throw tooMany(result.retryAfterMs, headers);
  setHeaders(c, headers);
}

function setHeaders(c: Context<AppEnv>, headers: Parameters<typeof rateLimitHeaders>[0]): void {
  for (const [k, v] of Object.entries(rateLimitHeaders(headers))) c.header(k, v);
}

async function take(env: Env, name: string, cost: number, limit: number, windowMs: number, lease: number): Promise<TakeResult | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${LIMITER_TIMEOUT_MS} ms`)), LIMITER_TIMEOUT_MS);
    });
    return await Promise.race([stub.take(cost, limit, windowMs, lease), timeout]);
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", msg: "rate limiter unavailable; request let through", principal: name, error: String(err) }));
    return null;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function remember(name: string, until: number): void {
  setBounded(blockedUntil, name, until);
}

/** map.set, first dropping the oldest entry (maps iterate in insertion order) when a new key would pass MAX_BLOCKED. */
function setBounded<V>(map: Map<string, V>, key: string, value: V): void {
  if (!map.has(key) && map.size >= MAX_BLOCKED) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  map.set(key, value);
}

interface HeaderValues {
  limit: number;
  remaining: number;
  resetMs: number;
  policy: string;
}

/** The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers), in seconds. */
function rateLimitHeaders(v: HeaderValues): Record<string, string> {
  return {
    "RateLimit-Limit": String(v.limit),
    "RateLimit-Remaining": String(Math.max(0, v.remaining)),
    "RateLimit-Reset": String(Math.max(0, Math.ceil(v.resetMs / 1000))),
    "RateLimit-Policy": v.policy,
  };
}

function tooMany(retryAfterMs: number, v: HeaderValues): ApiError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new ApiError(429, "rate_limited", `rate limit exceeded; retry in ${retryAfter} s`, undefined, {
    "Retry-After": String(retryAfter),
    ...rateLimitHeaders(v),
  });
}
