/**
 * The embedded engine (ioredis-mock) against the real Redis, through the gateway: every
 * command shape the product sends (recorded with MONITOR over the end-to-end tests) is
 * run on both, with both the edge's client settings (plain JSON replies) and the
 * backend's (base64), and the answers must be the same.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RECORD_WRITE_SCRIPT } from "../../models/catalog-changes.js";
import { checkRedis } from "./check-redis.js";
import { startRedisGateway, type RedisGateway } from "./gateway.js";

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const PREFIX = `test:engines:${randomUUID()}:`;
const k = (name: string) => `${PREFIX}${name}`;
const TOKEN = `engines-${randomUUID()}`;

let real: RedisGateway;
let memory: RedisGateway;
let admin: IORedis;

beforeAll(async () => {
  const check = await checkRedis(REDIS_URL);
  if (!check.ok) throw new Error(check.message);
  admin = new IORedis(REDIS_URL);
  real = await startRedisGateway({ redisUrl: REDIS_URL, token: TOKEN, port: 0 });
  memory = await startRedisGateway({ engine: "memory", redisUrl: "redis://unused.invalid:1", token: TOKEN, port: 0 });
});

afterAll(async () => {
  await real?.close();
  await memory?.close();
  if (!admin) return;
  const keys = await admin.keys(`${PREFIX}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

/** The product's commands, in the shapes it sends them; returns every answer in order. */
async function script(redis: Redis, tag: string): Promise<unknown[]> {
  const key = (n: string) => k(`${tag}:${n}`);
  const out: unknown[] = [];
  const note = async (p: Promise<unknown>) => out.push(await p);
  await note(redis.set(key("item:a"), JSON.stringify({ title: "A", category: "shoes" })));
  await note(redis.set(key("seen:e1"), "1", { nx: true, ex: 3600 }));
  await note(redis.set(key("seen:e1"), "1", { nx: true, ex: 3600 }));
  await note(redis.set(key("claim"), "db-1", { ex: 600 }));
  await note(redis.get(key("item:a")));
  await note(redis.get(key("missing")));
  await note(redis.mget(key("item:a"), key("missing"), key("claim")));
  await note(redis.exists(key("item:a"), key("missing")));
  await note(redis.type(key("item:a")));
  await note(redis.ttl(key("claim")).then((t) => t > 590 && t <= 600));
  await note(redis.ttl(key("missing")));
  await note(redis.lpush(key("recent"), "a\t1", "b\t2", "c\t3"));
  await note(redis.ltrim(key("recent"), 0, 1));
  await note(redis.lrange(key("recent"), 0, -1));
  await note(redis.expire(key("recent"), 86_400));
  await note(redis.zadd(key("pop"), { score: 1, member: "a" }, { score: 2, member: "b" }));
  await note(redis.zincrby(key("pop"), 2.5, "a"));
  await note(redis.zincrby(key("pop"), 0.125, "c"));
  await note(redis.zscore(key("pop"), "a"));
  await note(redis.zrange(key("pop"), 0, -1));
  await note(redis.zrange(key("pop"), 0, -1, { withScores: true }));
  await note(redis.zrange(key("pop"), 0, 1, { rev: true, withScores: true }));
  await note(redis.zremrangebyrank(key("pop"), 0, -3));
  await note(redis.zrange(key("pop"), 0, -1, { withScores: true }));
  // The consumer's shape: one pipeline of increments, trims and expiries.
  const p = redis.pipeline();
  p.zincrby(key("co:a"), 1, "b");
  p.zincrby(key("co:a"), 1, "c");
  p.zincrby(key("co:a"), 1, "b");
  p.zremrangebyrank(key("co:a"), 0, -(200 + 1));
  p.expire(key("co:a"), 100);
  p.lrange(key("missing-list"), 0, -1);
  p.get(key("missing"));
  out.push(await p.exec());
  const tx = redis.multi();
  tx.set(key("tx"), "1");
  tx.get(key("tx"));
  out.push(await tx.exec());
  // The feature-store wipe's shape: SCAN with MATCH and COUNT until the cursor is 0.
  const found: string[] = [];
  let cursor: string | number = 0;
  do {
    const [next, keys]: [string | number, string[]] = await redis.scan(cursor, { match: key("*"), count: 1000 });
    found.push(...keys);
    cursor = next;
  } while (String(cursor) !== "0");
  out.push(found.map((f) => f.slice(key("").length)).sort());
  // The catalog's record writes (models/catalog-changes.ts) and the edge's change poll.
  const changed = [key("cat:changed"), key("cat:since")];
  await note(redis.eval(RECORD_WRITE_SCRIPT, [...changed, key("rec:a"), key("rec:b")], ["1000", "10", "a", "A1", "b", "B1"]));
  await note(redis.eval(RECORD_WRITE_SCRIPT, [...changed, key("rec:a"), key("rec:b")], ["2000", "20", "a", "A1", "b", "B2"]));
  await note(redis.eval(RECORD_WRITE_SCRIPT, [...changed, key("rec:a")], ["3000", "1500", "a", "A3"]));
  await note(redis.zrange(changed[0]!, 1000, "+inf", { byScore: true, withScores: true, offset: 0, count: 10 }));
  await note(redis.get(changed[1]!));
  await note(redis.del(key("item:a"), key("seen:e1"), key("missing")));
  await note(redis.ping());
  return out;
}

describe("the embedded engine", () => {
  for (const [name, options] of [
    ["the edge's client (plain replies)", { automaticDeserialization: false, responseEncoding: false as const }],
    ["the backend's client (base64 replies)", { automaticDeserialization: false }],
  ] as const) {
    it(`answers the product's commands exactly as Redis does, through ${name}`, async () => {
      const tag = randomUUID().slice(0, 8);
      const fromRedis = await script(new Redis({ url: real.url, token: TOKEN, ...options }), tag);
      const fromMemory = await script(new Redis({ url: memory.url, token: TOKEN, ...options }), tag);
      expect(fromMemory).toEqual(fromRedis);
      // And the answers are the right ones, not merely equal.
      expect(fromRedis.slice(0, 3)).toEqual(["OK", "OK", null]);
      expect(fromRedis[13]).toEqual(["c\t3", "b\t2"]);
      expect(fromRedis[21]).toEqual(["a", "3.5", "b", "2"]);
      // Unchanged records are not changes; the trim drops what is older than the horizon and raises "since".
      expect(fromRedis.slice(-7, -2)).toEqual([2, 1, 1, ["b", "2000", "a", "3000"], "1500"]);
    });
  }

  it("answers an unknown command with a Redis error, alone, in a pipeline and in a transaction", async () => {
    const send = (gateway: RedisGateway, path: string, body: unknown) =>
      fetch(`${gateway.url}${path}`, { method: "POST", body: JSON.stringify(body), headers: { authorization: `Bearer ${TOKEN}` } }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }));
    const single = await send(memory, "/", ["NOSUCHCOMMAND", "x"]);
    expect(single.status).toBe(400);
    expect(JSON.stringify(single.body)).toMatch(/unknown command/i);
    const pipeline = await send(memory, "/pipeline", [["PING"], ["NOSUCHCOMMAND"], ["ECHO", "hi"]]);
    expect(pipeline.status).toBe(200);
    expect(pipeline.body).toEqual([{ result: "PONG" }, { error: expect.stringMatching(/unknown command/i) }, { result: "hi" }]);
    const tx = await send(memory, "/multi-exec", [["SET", k("never"), "1"], ["NOSUCHCOMMAND"]]);
    expect(tx.status).toBe(400);
    expect(await admin.exists(k("never"))).toBe(0);
  });
});
