/**
 * Which Redis the local stack's gateway runs on. A laptop without Redis still starts: with
 * no REDIS_URL set and none answering on 127.0.0.1:6379, the gateway uses its embedded
 * in-memory engine (backend/redis-gateway/memory-engine.ts) and the banner says so. A
 * REDIS_URL that is set must answer; REDIS_ENGINE forces either.
 */
import { checkRedis, type RedisCheck } from "../backend/redis-gateway/check-redis.js";
import { redactRedisUrl } from "../backend/redis-gateway/protocol.js";

export type RedisEngineChoice = "auto" | "redis" | "memory";

export interface RedisEngine {
  engine: "redis" | "memory";
  /** For the log and the banner. */
  description: string;
}

export class RedisEngineError extends Error {}

/** REDIS_ENGINE (auto, redis, memory); unset: auto unless REDIS_URL names a Redis, which must then answer. */
export function redisEngineFromEnv(env: NodeJS.ProcessEnv): RedisEngineChoice {
  const raw = env.REDIS_ENGINE?.trim().toLowerCase();
  if (raw === "auto" || raw === "redis" || raw === "memory") return raw;
  if (raw) throw new RedisEngineError(`REDIS_ENGINE must be auto, redis or memory, not ${JSON.stringify(env.REDIS_ENGINE)}`);
  return env.REDIS_URL ? "redis" : "auto";
}

/** Which engine the gateway gets, and why, for the log and the banner. */
export async function chooseRedisEngine(
  choice: RedisEngineChoice,
  redisUrl: string,
  check: (url: string) => Promise<RedisCheck> = checkRedis,
): Promise<RedisEngine> {
  const shown = redactRedisUrl(redisUrl);
  if (choice === "memory") return { engine: "memory", description: "embedded in-memory engine (REDIS_ENGINE=memory)" };
  const answer = await check(redisUrl);
  if (answer.ok) return { engine: "redis", description: shown };
  if (choice === "redis") throw new RedisEngineError(answer.message);
  return { engine: "memory", description: `embedded in-memory engine (no Redis answered at ${shown})` };
}
