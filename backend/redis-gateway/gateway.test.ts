/**
 * End-to-end tests of the Redis REST gateway: the real `@upstash/redis` client (the one
 * the worker and backend use) against the gateway in front of the real Redis at
 * REDIS_URL (default redis://127.0.0.1:6379), plus raw HTTP for the protocol's edges,
 * a Redis that is down, and one that goes away and comes back.
 * Every key starts with a per-run random prefix and is deleted afterwards.
 */
import { randomUUID } from "node:crypto";
import { createServer, type AddressInfo, type Server, type Socket, connect } from "node:net";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRedis } from "./check-redis.js";
import { MAX_BODY_BYTES, startRedisGateway, type RedisGateway } from "./gateway.js";
import { freePort } from "../test-support/free-port.js";

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const TOKEN = `test-token-${randomUUID()}`;
const PREFIX = `test:redis-gateway:${randomUUID()}:`;
const key = (name: string) => `${PREFIX}${name}`;
const UNICODE = "héllo wörld ✓ 日本語 🚀 \u0000 end";

let gateway: RedisGateway;
let admin: IORedis;
/** What the product uses: auto-pipelining and base64 responses (both on by default). */
let client: Redis;
/** One HTTP request per command (`POST /`), still base64. */
let direct: Redis;
/** No `Upstash-Encoding` header: plain UTF-8 replies. */
let plain: Redis;

beforeAll(async () => {
  const check = await checkRedis(REDIS_URL);
  if (!check.ok) throw new Error(check.message);
  admin = new IORedis(REDIS_URL);
  gateway = await startRedisGateway({ redisUrl: REDIS_URL, token: TOKEN, port: 0 });
  client = new Redis({ url: gateway.url, token: TOKEN });
  direct = new Redis({ url: gateway.url, token: TOKEN, enableAutoPipelining: false });
  plain = new Redis({ url: gateway.url, token: TOKEN, enableAutoPipelining: false, responseEncoding: false });
});

afterAll(async () => {
  await gateway?.close();
  if (!admin) return;
  const keys = await admin.keys(`${PREFIX}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

interface RawResponse {
  status: number;
  body: unknown;
}

async function raw(path: string, init: RequestInit = {}, base = gateway.url): Promise<RawResponse> {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TOKEN}`);
  const res = await fetch(`${base}${path}`, { ...init, headers });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) => raw(path, { method: "POST", body: JSON.stringify(body), headers });

describe("the @upstash/redis client through the gateway", () => {
  it("round-trips UTF-8 and JSON values with base64 responses and auto-pipelining", async () => {
    await client.set(key("utf8"), UNICODE);
    await client.set(key("json"), { name: "Zoë", tags: ["ü", "✓"], n: 3 });
    expect(await client.get(key("utf8"))).toBe(UNICODE);
    expect(await client.get(key("json"))).toEqual({ name: "Zoë", tags: ["ü", "✓"], n: 3 });
  });

  it("round-trips UTF-8 without auto-pipelining and without base64", async () => {
    await direct.set(key("utf8-direct"), UNICODE);
    expect(await direct.get(key("utf8-direct"))).toBe(UNICODE);
    expect(await plain.get(key("utf8-direct"))).toBe(UNICODE);
  });

  it("sets with nx and ex", async () => {
    expect(await client.set(key("nx"), "first", { nx: true, ex: 100 })).toBe("OK");
    expect(await client.set(key("nx"), "second", { nx: true, ex: 100 })).toBeNull();
    expect(await client.get(key("nx"))).toBe("first");
    const ttl = await client.ttl(key("nx"));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(100);
  });

  it("reads several keys with mget, missing ones as null", async () => {
    await client.set(key("m1"), "one");
    await client.set(key("m2"), { v: "twö" });
    expect(await client.mget(key("m1"), key("missing"), key("m2"))).toEqual(["one", null, { v: "twö" }]);
  });

  it("keeps a leaderboard with zincrby and reads it with zrange rev withScores", async () => {
    const board = key("board");
    await client.zincrby(board, 3, "item-a");
    await client.zincrby(board, 1.5, "item-b");
    expect(await client.zincrby(board, 2, "item-a")).toBe(5);
    await client.zincrby(board, 0.25, "ítem-ç");
    expect(await client.zrange(board, 0, -1, { rev: true, withScores: true })).toEqual(["item-a", 5, "item-b", 1.5, "ítem-ç", 0.25]);
    expect(await client.zrange(board, 0, 0, { rev: true })).toEqual(["item-a"]);
  });

  it("reads lists with lrange", async () => {
    const list = key("list");
    await client.rpush(list, "x", "ÿ", "z");
    expect(await client.lrange(list, 0, -1)).toEqual(["x", "ÿ", "z"]);
    expect(await client.lrange(list, 1, 1)).toEqual(["ÿ"]);
    expect(await client.lrange(key("no-list"), 0, -1)).toEqual([]);
  });

  it("returns hashes as the client expects (no ioredis reshaping of HGETALL)", async () => {
    await client.hset(key("hash"), { a: "alpha", b: "bêta" });
    expect(await client.hgetall(key("hash"))).toEqual({ a: "alpha", b: "bêta" });
    const tx = client.multi();
    tx.hgetall(key("hash"));
    expect(await tx.exec()).toEqual([{ a: "alpha", b: "bêta" }]);
  });

  it("runs a pipeline", async () => {
    const p = client.pipeline();
    p.set(key("p:s"), "vé");
    p.incr(key("p:n"));
    p.get(key("p:s"));
    p.zincrby(key("p:z"), 2, "m");
    p.lrange(key("p:none"), 0, -1);
    expect(await p.exec()).toEqual(["OK", 1, "vé", 2, []]);
  });

  it("keeps the other pipeline commands when one fails", async () => {
    await client.set(key("p:text"), "not a number");
    const build = () => client.pipeline().incr(key("p:count")).incr(key("p:text")).get(key("p:text"));
    await expect(build().exec()).rejects.toThrow(/Command 2 \[ incr \] failed: ERR value is not an integer/);
    const entries = await build().exec({ keepErrors: true });
    expect(entries[0]).toEqual({ error: undefined, result: 2 });
    expect(entries[1]?.error).toMatch(/^ERR value is not an integer/);
    expect(entries[2]).toEqual({ error: undefined, result: "not a number" });
  });

  it("runs a multi() transaction", async () => {
    const tx = client.multi();
    tx.set(key("tx:a"), "1");
    tx.incrby(key("tx:a"), 41);
    tx.get(key("tx:a"));
    tx.zincrby(key("tx:z"), 1, "m");
    expect(await tx.exec()).toEqual(["OK", 42, 42, 1]);
  });

  it("reports a command failing inside a transaction without undoing the others", async () => {
    await client.set(key("tx:text"), "abc");
    const tx = client.multi().set(key("tx:b"), "ok").incr(key("tx:text")).get(key("tx:b"));
    const entries = await tx.exec({ keepErrors: true });
    expect(entries[0]?.result).toBe("OK");
    expect(entries[1]?.error).toMatch(/^ERR value is not an integer/);
    expect(entries[2]?.result).toBe("ok");
  });

  it("evaluates Lua with eval, including nested and nil replies", async () => {
    const script = "redis.call('SET', KEYS[1], ARGV[1]); return {redis.call('GET', KEYS[1]), redis.call('INCRBY', KEYS[2], ARGV[2]), {ARGV[1]}}";
    expect(await client.eval(script, [key("lua:s"), key("lua:n")], ["ünïcode", "5"])).toEqual(["ünïcode", 5, ["ünïcode"]]);
    expect(await client.eval("return redis.call('GET', KEYS[1])", [key("lua:none")], [])).toBeNull();
    const sha = await client.scriptLoad("return ARGV[1]");
    expect(await client.evalsha(sha, [], ["via sha ✓"])).toBe("via sha ✓");
  });

  it("surfaces Redis errors as client errors", async () => {
    await client.set(key("err:text"), "abc");
    await expect(direct.incr(key("err:text"))).rejects.toThrow(/ERR value is not an integer/);
    await expect(client.incr(key("err:text"))).rejects.toThrow(/ERR value is not an integer/);
    await expect(client.eval("return redis.error_reply('MYERR custom')", [], [])).rejects.toThrow(/MYERR custom/);
  });

  it("serves concurrent requests on its one Redis connection", async () => {
    const counter = key("concurrent");
    await Promise.all([...Array.from({ length: 100 }, () => client.incr(counter)), ...Array.from({ length: 100 }, () => direct.incr(counter))]);
    expect(await client.get(counter)).toBe(200);
  });
});

describe("the REST protocol on the wire", () => {
  it("answers the JSON form, turning numbers and booleans into strings", async () => {
    expect(await postJson("/", ["SET", key("wire:n"), 42, "EX", 100])).toEqual({ status: 200, body: { result: "OK" } });
    expect(await postJson("/", ["SET", key("wire:b"), true])).toEqual({ status: 200, body: { result: "OK" } });
    expect(await postJson("/", ["MGET", key("wire:n"), key("wire:b"), key("wire:none")])).toEqual({
      status: 200,
      body: { result: ["42", "true", null] },
    });
    expect(await postJson("/", ["INCR", key("wire:n")])).toEqual({ status: 200, body: { result: 43 } });
  });

  it("answers the path form with URL-decoded segments", async () => {
    expect(await raw(`/set/${encodeURIComponent(key("wire:path"))}/a%2Fb%20c/EX/100`)).toEqual({ status: 200, body: { result: "OK" } });
    expect(await raw(`/get/${encodeURIComponent(key("wire:path"))}`)).toEqual({ status: 200, body: { result: "a/b c" } });
  });

  it("appends a POST body to the path form, then the query parameters", async () => {
    const k = encodeURIComponent(key("wire:body"));
    expect((await raw(`/set/${k}?EX=50`, { method: "POST", body: '{"json": "välue"}' })).status).toBe(200);
    expect(await raw(`/get/${k}`)).toEqual({ status: 200, body: { result: '{"json": "välue"}' } });
    const ttl = await raw(`/ttl/${k}`);
    expect(ttl.body).toEqual({ result: expect.any(Number) });
    expect((ttl.body as { result: number }).result).toBeLessThanOrEqual(50);
  });

  it("keeps binary values exact in base64 mode and replaces invalid UTF-8 without it", async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const k = encodeURIComponent(key("wire:binary"));
    expect((await raw(`/set/${k}`, { method: "POST", body: bytes })).status).toBe(200);
    const encoded = await raw(`/get/${k}`, { headers: { "Upstash-Encoding": "base64" } });
    expect(Buffer.from((encoded.body as { result: string }).result, "base64").equals(bytes)).toBe(true);
    const text = await raw(`/get/${k}`);
    expect((text.body as { result: string }).result).toContain("\uFFFD");
  });

  it("base64-encodes nested strings but not integers, nulls or OK", async () => {
    const base64 = { "Upstash-Encoding": "base64" };
    expect(await postJson("/", ["SET", key("wire:b64"), "v"], base64)).toEqual({ status: 200, body: { result: "OK" } });
    const reply = await postJson("/pipeline", [["MGET", key("wire:b64"), key("wire:none")], ["STRLEN", key("wire:b64")], ["PING"]], base64);
    expect(reply).toEqual({ status: 200, body: [{ result: ["dg==", null] }, { result: 1 }, { result: "UE9ORw==" }] });
  });

  it("answers /pipeline with one entry per command, errors included", async () => {
    const reply = await postJson("/pipeline", [
      ["SET", key("wire:p"), "x"],
      ["INCR", key("wire:p")],
      ["GET", key("wire:p")],
    ]);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual([{ result: "OK" }, { error: expect.stringMatching(/^ERR value is not an integer/) }, { result: "x" }]);
  });

  it("discards a whole /multi-exec when a command cannot be queued, with one error", async () => {
    const reply = await postJson("/multi-exec", [
      ["SET", key("wire:never"), "x"],
      ["NOSUCHCOMMAND", "y"],
      ["GET", key("wire:never")],
    ]);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: expect.stringMatching(/^EXECABORT .*ERR unknown command 'NOSUCHCOMMAND'/) });
    expect(await admin.exists(key("wire:never"))).toBe(0);
  });

  it("answers a failing single command with 400 and Redis' message", async () => {
    expect(await postJson("/", ["GET"])).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/^ERR wrong number of arguments/) },
    });
    expect(await raw("/nosuchcommand/x")).toEqual({ status: 400, body: { error: expect.stringMatching(/^ERR unknown command/) } });
  });

  it.each<[string, RequestInit & { path?: string }, number, RegExp]>([
    ["bad JSON", { method: "POST", body: "[1," }, 400, /^Request body is not valid JSON/],
    ["an object", { method: "POST", body: '{"cmd":"GET"}' }, 400, /must be a JSON array.*got an object/],
    ["an empty command", { method: "POST", body: "[]" }, 400, /empty array/],
    ["a null argument", { method: "POST", body: '["GET", null]' }, 400, /element 1 is null/],
    ["an empty body", { method: "POST", body: "" }, 400, /body is empty/],
    [
      "a pipeline row that is not an array",
      { method: "POST", path: "/pipeline", body: '[["GET","k"], "GET k"]' },
      400,
      /pipeline command 1 must be a JSON array/,
    ],
    ["an empty transaction", { method: "POST", path: "/multi-exec", body: "[]" }, 400, /transaction contains no commands/],
    ["MULTI as a command", { method: "POST", body: '["MULTI"]' }, 400, /MULTI is not supported.*multi-exec/],
    ["a blocking command", { method: "POST", path: "/pipeline", body: '[["BLPOP","k","0"]]' }, 400, /pipeline command 0: ERR BLPOP/],
    ["no command on GET /", { method: "GET" }, 400, /No command/],
    ["broken percent-encoding", { method: "GET", path: "/get/%E0%A4%A" }, 400, /percent-encoding/],
    ["DELETE", { method: "DELETE", path: "/get/k" }, 405, /Method DELETE not allowed/],
    ["GET /pipeline", { method: "GET", path: "/pipeline" }, 405, /takes POST/],
    ["the RESP2 format", { method: "GET", path: "/ping", headers: { "Upstash-Response-Format": "resp2" } }, 400, /not supported/],
  ])("refuses %s with a JSON error", async (_label, init, status, message) => {
    const reply = await raw(init.path ?? "/", init);
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ error: expect.stringMatching(message) });
  });

  it(`answers 413 to a body over ${MAX_BODY_BYTES} bytes and keeps serving`, async () => {
    const big = JSON.stringify(["SET", key("wire:big"), "x".repeat(MAX_BODY_BYTES)]);
    expect(await raw("/", { method: "POST", body: big })).toEqual({ status: 413, body: { error: expect.stringContaining("exceeds") } });
    expect((await raw("/ping")).status).toBe(200);
  });

  it("answers 413 to an oversized chunked body that declares no length", async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x61);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ > MAX_BODY_BYTES / chunk.length) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${gateway.url}/set/${encodeURIComponent(key("wire:chunked"))}`, {
      method: "POST",
      body,
      duplex: "half",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(413);
    expect(await admin.exists(key("wire:chunked"))).toBe(0);
  });

  it("accepts a value just under the body limit", async () => {
    const value = "y".repeat(MAX_BODY_BYTES - 1024);
    expect((await postJson("/", ["SET", key("wire:large"), value])).status).toBe(200);
    expect(await admin.strlen(key("wire:large"))).toBe(value.length);
  });

  it("never answers 5xx to malformed input", async () => {
    const bodies = [
      "[[]]",
      "[null]",
      "[1]",
      '[""]',
      '[" "]',
      "[true]",
      "[[1,2]]",
      '"GET"',
      "1e400",
      "[1e400]",
      '{"__proto__":1}',
      "\u0000",
      `[${'"a",'.repeat(5000)}"a"]`,
    ];
    const paths = ["/", "/pipeline", "/multi-exec", "/get", "/%", "//", "/get/%zz", "/SET/a/b/c/d/e", "/eval/return%201/x", "/health/x"];
    for (const path of paths) {
      for (const body of bodies) {
        const res = await fetch(`${gateway.url}${path}`, { method: "POST", body, headers: { authorization: `Bearer ${TOKEN}` } });
        expect(res.status, `${path} ${body.slice(0, 40)}`).toBeLessThan(500);
        expect(JSON.parse(await res.text()), `${path} ${body.slice(0, 40)}`).toBeTypeOf("object");
      }
    }
    expect((await raw("/ping")).body).toEqual({ result: "PONG" });
  });
});

describe("authentication", () => {
  it("answers 401 without a token or with a wrong one", async () => {
    const unauthorized = { status: 401, body: { error: "Unauthorized" } };
    expect(await raw("/ping", { headers: { authorization: "" } })).toEqual(unauthorized);
    expect(await raw("/ping", { headers: { authorization: "Bearer wrong" } })).toEqual(unauthorized);
    expect(await raw("/pipeline", { method: "POST", body: '[["PING"]]', headers: { authorization: "" } })).toEqual(unauthorized);
  });

  it("accepts the token as _token", async () => {
    expect(await raw(`/ping?_token=${TOKEN}`, { headers: { authorization: "" } })).toEqual({ status: 200, body: { result: "PONG" } });
  });

  it("makes the client fail with a wrong token", async () => {
    const intruder = new Redis({ url: gateway.url, token: "wrong-token" });
    await expect(intruder.get(key("auth"))).rejects.toThrow(/Unauthorized/);
  });

  it("leaves /health open", async () => {
    expect(await raw("/health", { headers: { authorization: "" } })).toEqual({ status: 200, body: { status: "ok" } });
  });
});

describe("when Redis is down", () => {
  it("starts anyway and answers 503 quickly instead of hanging", async () => {
    const port = await freePort();
    const started = performance.now();
    const down = await startRedisGateway({ redisUrl: `redis://127.0.0.1:${port}`, token: TOKEN, port: 0 });
    try {
      expect(performance.now() - started).toBeLessThan(2_500);
      const unavailable = { error: expect.stringMatching(new RegExp(`^Redis unavailable at redis://127\\.0\\.0\\.1:${port}: `)) };
      for (const [path, init] of [
        ["/", { method: "POST", body: '["GET","k"]' }],
        ["/pipeline", { method: "POST", body: '[["GET","k"]]' }],
        ["/multi-exec", { method: "POST", body: '[["GET","k"]]' }],
        ["/get/k", {}],
      ] as const) {
        const t0 = performance.now();
        expect(await raw(path, init, down.url)).toEqual({ status: 503, body: unavailable });
        expect(performance.now() - t0).toBeLessThan(2_000);
      }
      expect(await raw("/health", {}, down.url)).toEqual({ status: 503, body: { status: "unavailable", error: unavailable.error } });

      const t0 = performance.now();
      const downClient = new Redis({ url: down.url, token: TOKEN });
      await expect(downClient.get("k")).rejects.toThrow(/Redis unavailable at/);
      expect(performance.now() - t0).toBeLessThan(2_000);
    } finally {
      await down.close();
    }
  });

  it("recovers by itself when Redis comes back", async () => {
    const proxy = await startProxy(new URL(REDIS_URL));
    const via = await startRedisGateway({ redisUrl: `redis://127.0.0.1:${proxy.port}`, token: TOKEN, port: 0 });
    const viaClient = new Redis({ url: via.url, token: TOKEN, enableAutoPipelining: false });
    try {
      await viaClient.set(key("recover"), "before");
      await proxy.stop();
      const t0 = performance.now();
      expect((await raw(`/get/${encodeURIComponent(key("recover"))}`, {}, via.url)).status).toBe(503);
      expect(performance.now() - t0).toBeLessThan(2_000);
      await proxy.start();
      expect(await eventually(() => viaClient.get(key("recover")), 5_000)).toBe("before");
    } finally {
      await via.close();
      await proxy.stop();
    }
  }, 15_000);
});

describe("close()", () => {
  it("stops listening and releases the port", async () => {
    const temporary = await startRedisGateway({ redisUrl: REDIS_URL, port: 0 });
    expect((await raw("/ping", {}, temporary.url)).status).toBe(200);
    await temporary.close();
    await expect(fetch(`${temporary.url}/ping`)).rejects.toThrow();
  });
});

/** A TCP relay to Redis that can be switched off and on, to play an outage. */
async function startProxy(target: URL): Promise<{ port: number; start(): Promise<void>; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const relay = (downstream: Socket) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const s of [downstream, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => {
        sockets.delete(s);
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.pipe(upstream).pipe(downstream);
  };
  const start = async () => {
    server = createServer(relay);
    await new Promise<void>((resolve) => server?.listen(port, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stop = async () => {
    const closing = server;
    server = undefined;
    for (const s of sockets) s.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  await start();
  return { port, start, stop };
}

async function eventually<T>(attempt: () => Promise<T>, withinMs: number): Promise<T> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
