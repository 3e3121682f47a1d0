import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Timing } from "../http/server-timing.js";
import { uniq } from "../test-support/fixtures.js";
import { countRequests, redisClient } from "./redis-client.js";

describe("countRequests", () => {
  it("counts one round trip per command and one per pipeline, whatever it holds", async () => {
    let n = 0;
    const redis = countRequests(redisClient(env, 2000), () => n++);
    const key = uniq("rt");
    await redis.set(key, "1");
    expect(n).toBe(1);
    const p = redis.pipeline();
    p.get(key);
    p.incr(key);
    p.get(key);
    const [before, , after] = await p.exec<unknown[]>();
    expect([before, after]).toEqual(["1", "2"]);
    expect(n).toBe(2);
  });
});

describe("Timing", () => {
  it("reports round trips as a count beside the stage durations, and nothing when there were none", async () => {
    const t = new Timing();
    t.measureSync("score", () => 1);
    expect(t.header()).toMatch(/^score;dur=[\d.]+$/);
    t.trip();
    t.trip(2);
    expect(t.trips).toBe(3);
    expect(t.header()).toMatch(/^score;dur=[\d.]+, trips;desc="3"$/);
  });

  it("sums a stage measured more than once into one entry with its count", () => {
    const t = new Timing();
    for (let i = 0; i < 3; i++) t.measureSync("session", () => i);
    t.measureSync("score", () => 1);
    expect(t.header()).toMatch(/^session;dur=[\d.]+;desc="3x", score;dur=[\d.]+$/);
    expect(Object.keys(t.toJSON())).toEqual(["session", "score"]);
  });

  it("carries a stage's description, e.g. how many candidates the ranker scored", async () => {
    const t = new Timing();
    await t.measure("ranker", async () => 1, "1043");
    expect(t.header()).toMatch(/^ranker;dur=[\d.]+;desc="1043"$/);
  });
});
