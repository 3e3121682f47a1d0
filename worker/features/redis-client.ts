/**
 * The Upstash Redis REST client as the edge uses it: no automatic JSON decoding (ids
 * such as "123" must stay strings) and a hard time budget per call, so a slow store
 * degrades an answer instead of stalling it.
 */
import { Redis } from "@upstash/redis/cloudflare";
import type { Env } from "../env.js";

export function redisClient(env: Env, budgetMs: number): Redis {
  return new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN ?? "",
    automaticDeserialization: false,
    // Plain JSON answers: every value here is UTF-8 text, and decoding base64 string by
    // string took 8 % of the worker's CPU in a bench:recs profile.
    responseEncoding: false,
    enableTelemetry: false,
    retry: { retries: 1, backoff: () => 20 },
    signal: () => AbortSignal.timeout(budgetMs),
  });
}

/** Counts every HTTP request the client makes (one per command, one per pipeline), e.g. into Server-Timing. */
export function countRequests(redis: Redis, onRequest: () => void): Redis {
  redis.use((req, next) => {
    onRequest();
    return next(req);
  });
  return redis;
}

/** Upstash answers `[member, score, member, score, …]` for ZRANGE … WITHSCORES. */
export function pairsFromFlat(flat: unknown): Array<[string, number]> {
  if (!Array.isArray(flat)) return [];
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const score = Number(flat[i + 1]);
    if (Number.isFinite(score)) out.push([String(flat[i]), score]);
  }
  return out;
}
