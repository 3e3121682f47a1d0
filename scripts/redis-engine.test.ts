import { describe, expect, it } from "vitest";
import { chooseRedisEngine, RedisEngineError, redisEngineFromEnv } from "./redis-engine.js";

const LIVE = process.env.REDIS_URL || "redis://127.0.0.1:6379";
/** Nothing listens on this privileged port: refused at once. */
const DEAD = "redis://127.0.0.1:2";

describe("the local stack's Redis engine", () => {
  it("reads REDIS_ENGINE, and without it falls back only when REDIS_URL is not set", () => {
    expect(redisEngineFromEnv({})).toBe("auto");
    expect(redisEngineFromEnv({ REDIS_URL: DEAD })).toBe("redis");
    expect(redisEngineFromEnv({ REDIS_URL: DEAD, REDIS_ENGINE: "Memory" })).toBe("memory");
    expect(() => redisEngineFromEnv({ REDIS_ENGINE: "sqlite" })).toThrow(RedisEngineError);
  });

  it("uses Redis when it answers, the embedded engine when it does not (auto), and refuses a named Redis that is down", async () => {
    expect(await chooseRedisEngine("auto", LIVE)).toEqual({ engine: "redis", description: LIVE });
    expect(await chooseRedisEngine("auto", DEAD)).toEqual({ engine: "memory", description: `embedded in-memory engine (no Redis answered at ${DEAD})` });
    expect(await chooseRedisEngine("memory", LIVE)).toMatchObject({ engine: "memory" });
    await expect(chooseRedisEngine("redis", DEAD)).rejects.toThrow(/No Redis answers at redis:\/\/127\.0\.0\.1:2|redis-server/);
  });
});
