/**
 * End-to-end tests of the local vector server: the real `@upstash/vector` client (the one
 * the product uses against Upstash) against a server on an ephemeral port, plus raw HTTP
 * for what the client never sends: malformed bodies, wrong methods, oversized bodies,
 * missing tokens. Every server here is started on port 0 and closed afterwards.
 */
import { randomUUID } from "node:crypto";
import { Index } from "@upstash/vector";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES, startVectorServer, type VectorServer } from "./server.js";

const TOKEN = `test-token-${randomUUID()}`;

let server: VectorServer;
let index: Index<Record<string, unknown>>;

beforeAll(async () => {
  server = await startVectorServer({ token: TOKEN, port: 0 });
  // retry: false so an unexpected network error fails fast instead of backing off.
  index = new Index({ url: server.url, token: TOKEN, retry: false });
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  await index.reset({ all: true });
});

async function raw(path: string, init: RequestInit = {}, base = server.url): Promise<{ status: number; body: unknown }> {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TOKEN}`);
  const res = await fetch(`${base}${path}`, { method: "POST", ...init, headers });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

const post = (path: string, body: unknown) => raw(path, { body: typeof body === "string" ? body : JSON.stringify(body) });

const catalog = [
  { id: "espresso-1", vector: [1, 0, 0], metadata: { category: "espresso", price: 120, available: true } },
  { id: "espresso-2", vector: [0.9, 0.1, 0], metadata: { category: "espresso", price: 80, available: false } },
  { id: "trail-1", vector: [0, 1, 0], metadata: { category: "trail running", price: 140, available: true } },
  { id: "baking-1", vector: [0, 0, 1], metadata: { category: "baking", price: 20, available: true, tags: ["flour"] } },
];

describe("the @upstash/vector client against the local server", () => {
  it("upserts a batch and queries by vector, best first, with metadata and vectors on request", async () => {
    expect(await index.upsert(catalog)).toBe("Success");
    const results = await index.query({ vector: [1, 0, 0], topK: 2, includeMetadata: true, includeVectors: true });
    expect(results.map((r) => r.id)).toEqual(["espresso-1", "espresso-2"]);
    expect(results[0]).toEqual({ id: "espresso-1", score: 1, vector: [1, 0, 0], metadata: catalog[0]?.metadata });
    expect(results[1]?.score).toBeCloseTo((1 + 0.9 / Math.hypot(0.9, 0.1)) / 2, 6);
    const bare = await index.query({ vector: [0, 0, 1], topK: 1 });
    expect(bare).toEqual([{ id: "baking-1", score: 1 }]);
  });

  it("upserts one vector, and a second upsert of the same id replaces it", async () => {
    await index.upsert({ id: "x", vector: [1, 2], metadata: { v: 1 } });
    await index.upsert({ id: "x", vector: [2, 1] });
    expect(await index.fetch(["x"], { includeMetadata: true, includeVectors: true })).toEqual([{ id: "x", vector: [2, 1] }]);
  });

  it("fetches by ids (null for unknown ones, order kept) and by prefix", async () => {
    await index.upsert(catalog);
    const fetched = await index.fetch(["trail-1", "nope", "espresso-1"], { includeMetadata: true });
    expect(fetched).toEqual([{ id: "trail-1", metadata: catalog[2]?.metadata }, null, { id: "espresso-1", metadata: catalog[0]?.metadata }]);
    expect((await index.fetch({ prefix: "espresso-" })).map((v) => v?.id)).toEqual(["espresso-1", "espresso-2"]);
  });

  it("deletes by id, ids, prefix and filter, counting what was there", async () => {
    await index.upsert(catalog);
    expect(await index.delete("espresso-1")).toEqual({ deleted: 1 });
    expect(await index.delete(["espresso-1", "trail-1"])).toEqual({ deleted: 1 });
    expect(await index.delete({ prefix: "espresso" })).toEqual({ deleted: 1 });
    expect(await index.delete({ filter: "price < 50" })).toEqual({ deleted: 1 });
    expect((await index.info()).vectorCount).toBe(0);
  });

  it("updates metadata in place", async () => {
    await index.upsert(catalog);
    expect(await index.update({ id: "trail-1", metadata: { price: 99 }, metadataUpdateMode: "PATCH" })).toEqual({ updated: 1 });
    expect((await index.fetch(["trail-1"], { includeMetadata: true }))[0]?.metadata).toEqual({ ...catalog[2]?.metadata, price: 99 });
    expect(await index.update({ id: "ghost", metadata: {} })).toEqual({ updated: 0 });
  });

  it("pages through everything with range and its cursor", async () => {
    await index.upsert(Array.from({ length: 25 }, (_, i) => ({ id: `item-${i}`, vector: [i, 1], metadata: { i } })));
    const seen: string[] = [];
    let cursor: string | number = 0;
    let pages = 0;
    do {
      const page: { nextCursor: string; vectors: { id: string | number; metadata?: unknown }[] } = await index.range({
        cursor,
        limit: 10,
        includeMetadata: true,
      });
      seen.push(...page.vectors.map((v) => String(v.id)));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== "");
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `item-${i}`));
    const withPrefix = await index.range({ cursor: 0, limit: 5, prefix: "item-2", includeVectors: true });
    expect(withPrefix.vectors.map((v) => v.id)).toEqual(["item-2", "item-20", "item-21", "item-22", "item-23"]);
    expect(withPrefix.vectors[0]?.vector).toEqual([2, 1]);
  });

  it("reports info: counts, dimension, similarity and namespaces", async () => {
    await index.upsert(catalog);
    await index.namespace("tenant-a").upsert({ id: "t", vector: [0, 0, 1] });
    const info = await index.info();
    expect(info).toMatchObject({
      vectorCount: 5,
      pendingVectorCount: 0,
      dimension: 3,
      similarityFunction: "COSINE",
      namespaces: { "": { vectorCount: 4, pendingVectorCount: 0 }, "tenant-a": { vectorCount: 1, pendingVectorCount: 0 } },
    });
    expect(info.indexSize).toBeGreaterThan(0);
  });

  it("resets one namespace, or all of them", async () => {
    await index.upsert(catalog);
    await index.namespace("ns").upsert({ id: "n", vector: [1, 1, 1] });
    expect(await index.reset()).toBe("Success");
    expect((await index.info()).namespaces).toMatchObject({ "": { vectorCount: 0 }, ns: { vectorCount: 1 } });
    expect(await index.reset({ namespace: "ns" })).toBe("Success");
    expect((await index.info()).vectorCount).toBe(0);
    await index.namespace("other").upsert({ id: "o", vector: [1, 1, 1] });
    await index.reset({ all: true });
    expect(await index.listNamespaces()).toEqual([""]);
  });

  it("keeps namespaces apart on every data route, lists and deletes them", async () => {
    const ns = index.namespace("shop/eu");
    await index.upsert({ id: "same-id", vector: [1, 0], metadata: { where: "default" } });
    await ns.upsert({ id: "same-id", vector: [0, 1], metadata: { where: "eu" } });
    expect((await ns.fetch(["same-id"], { includeMetadata: true }))[0]?.metadata).toEqual({ where: "eu" });
    expect((await ns.query({ vector: [0, 1], topK: 5, includeMetadata: true })).map((r) => r.metadata)).toEqual([{ where: "eu" }]);
    expect((await ns.range({ cursor: 0, limit: 5 })).vectors.map((v) => v.id)).toEqual(["same-id"]);
    expect(await index.listNamespaces()).toEqual(["", "shop/eu"]);
    expect(await ns.delete("same-id")).toEqual({ deleted: 1 });
    expect(await index.deleteNamespace("shop/eu")).toBe("Success");
    expect(await index.listNamespaces()).toEqual([""]);
    expect((await index.fetch(["same-id"], { includeMetadata: true }))[0]?.metadata).toEqual({ where: "default" });
    await expect(index.deleteNamespace("shop/eu")).rejects.toThrow(/does not exist/);
    await expect(index.deleteNamespace("")).rejects.toThrow();
  });

  it("runs several queries at once with queryMany", async () => {
    await index.upsert(catalog);
    const [a, b] = await index.queryMany([
      { vector: [1, 0, 0], topK: 1 },
      { vector: [0, 1, 0], topK: 1, filter: "category = 'trail running'" },
    ]);
    expect(a?.map((r) => r.id)).toEqual(["espresso-1"]);
    expect(b?.map((r) => r.id)).toEqual(["trail-1"]);
  });
});

describe("metadata filters through the client", () => {
  beforeEach(async () => {
    await index.upsert(catalog);
  });

  const ids = async (filter: string, topK = 10) => (await index.query({ vector: [1, 1, 1], topK, filter })).map((r) => r.id).sort();

  it("supports comparisons, IN / NOT IN, AND, OR and parentheses", async () => {
    expect(await ids("category = 'espresso'")).toEqual(["espresso-1", "espresso-2"]);
    expect(await ids('category != "espresso"')).toEqual(["baking-1", "trail-1"]);
    expect(await ids("price >= 120")).toEqual(["espresso-1", "trail-1"]);
    expect(await ids("price < 80 OR price > 130")).toEqual(["baking-1", "trail-1"]);
    expect(await ids("category IN ('baking', 'trail running') and available = true")).toEqual(["baking-1", "trail-1"]);
    expect(await ids("category NOT IN ('espresso') AND (price <= 20 OR available = false)")).toEqual(["baking-1"]);
    expect(await ids("tags[0] = 'flour'")).toEqual(["baking-1"]);
  });

  it("still returns the best topK among the matches", async () => {
    const results = await index.query({ vector: [1, 0, 0], topK: 1, filter: "available = true" });
    expect(results.map((r) => r.id)).toEqual(["espresso-1"]);
  });

  it("answers unsupported or broken filters with a 400 naming the problem", async () => {
    await expect(index.query({ vector: [1, 0, 0], topK: 1, filter: "category GLOB 'esp*'" })).rejects.toThrow(/GLOB is not supported/);
    await expect(index.query({ vector: [1, 0, 0], topK: 1, filter: "price > 'cheap'" })).rejects.toThrow(/compares numbers only/);
    await expect(index.query({ vector: [1, 0, 0], topK: 1, filter: "(price > 1" })).rejects.toThrow(/Invalid filter at position/);
    await expect(index.query({ vector: [1, 0, 0], topK: 1, filter: `${"(".repeat(5000)}a = 1${")".repeat(5000)}` })).rejects.toThrow(/nest deeper/);
  });
});

describe("dimension", () => {
  it("is set by the first upsert; other dimensions are a 400 with Upstash's message", async () => {
    await index.upsert({ id: "a", vector: [1, 2, 3] });
    await expect(index.upsert({ id: "b", vector: [1, 2] })).rejects.toThrow("Invalid vector dimension: 2, expected: 3");
    await expect(index.query({ vector: [1, 2, 3, 4], topK: 1 })).rejects.toThrow("Invalid vector dimension: 4, expected: 3");
    const { status, body } = await post("/upsert", { id: "c", vector: [1] });
    expect(status).toBe(400);
    expect(body).toEqual({ error: "Invalid vector dimension: 1, expected: 3", status: 400 });
  });

  it("can be fixed up front, with a similarity function", async () => {
    const fixed = await startVectorServer({ port: 0, dimension: 2, similarity: "EUCLIDEAN" });
    try {
      const client = new Index({ url: fixed.url, token: "any", retry: false });
      await expect(client.upsert({ id: "a", vector: [1, 2, 3] })).rejects.toThrow("Invalid vector dimension: 3, expected: 2");
      await client.upsert([
        { id: "a", vector: [0, 0] },
        { id: "b", vector: [1, 1] },
      ]);
      expect(await client.query({ vector: [1, 1], topK: 2 })).toEqual([
        { id: "b", score: 1 },
        { id: "a", score: 1 / 3 },
      ]);
      expect(await client.info()).toMatchObject({ dimension: 2, similarityFunction: "EUCLIDEAN" });
    } finally {
      await fixed.close();
    }
  });

  it("refuses a bad configuration at start", async () => {
    await expect(startVectorServer({ port: 0, dimension: 0 })).rejects.toThrow(/dimension/);
    await expect(startVectorServer({ port: 0, similarity: "MANHATTAN" as never })).rejects.toThrow(/similarity/);
  });
});

describe("auth", () => {
  it("needs the bearer token when one is configured", async () => {
    const wrong = new Index({ url: server.url, token: "wrong", retry: false });
    await expect(wrong.info()).rejects.toThrow("Unauthorized: Invalid auth token");
    const { status, body } = await raw("/info", { headers: { authorization: "" } });
    expect(status).toBe(401);
    expect(body).toEqual({ error: "Unauthorized: Invalid auth token", status: 401 });
    expect((await raw("/health", { method: "GET", headers: { authorization: "" } })).status).toBe(200);
  });

  it("accepts anything when no token is configured", async () => {
    const open = await startVectorServer({ port: 0 });
    try {
      expect((await new Index({ url: open.url, token: "whatever", retry: false }).info()).vectorCount).toBe(0);
    } finally {
      await open.close();
    }
  });
});

describe("hostile and malformed requests (raw HTTP)", () => {
  it("answers malformed JSON and wrong shapes with 400s that name the field", async () => {
    const cases: [string, unknown, RegExp][] = [
      ["/upsert", "{not json", /not valid JSON/],
      ["/upsert", "", /empty/],
      ["/upsert", 42, /must be an object/],
      ["/upsert", { id: "a" }, /vector is missing/],
      ["/upsert", { id: null, vector: [1] }, /vector\.id must be a string or a number/],
      [
        "/upsert",
        [
          { id: "a", vector: [1] },
          { id: "b", vector: [1, "x"] },
        ],
        /vectors\[1\]\.vector\[1\] must be a finite number/,
      ],
      ["/upsert", { id: "a", vector: [] }, /non-empty array/],
      ["/upsert", { id: "a", vector: [1], metadata: [1] }, /metadata must be a JSON object/],
      ["/upsert", { id: "a", vector: [1], sparseVector: { indices: [0], values: [1] } }, /sparse vectors are not supported/],
      ["/query", { vector: [1], topK: 0 }, /topK must be a positive integer/],
      ["/query", { vector: [1], topK: 1, includeMetadata: "yes" }, /includeMetadata must be true or false/],
      ["/query", { vector: [1], filter: 5 }, /filter must be a string/],
      ["/query", { data: "hello" }, /embedding model/],
      ["/query", [], /empty array/],
      ["/fetch", { ids: "a" }, /ids must be an array/],
      ["/range", { cursor: "abc", limit: 5 }, /cursor/],
      ["/range", { cursor: "0" }, /limit is missing/],
      ["/delete", { filter: "" }, /use reset/],
      ["/delete", {}, /ids, prefix or filter/],
      ["/update", { id: "a", metadataUpdateMode: "MERGE" }, /metadataUpdateMode/],
    ];
    for (const [path, body, message] of cases) {
      const reply = await post(path, body);
      expect(reply.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect((reply.body as { error: string }).error).toMatch(message);
    }
  });

  it("refuses metadata nested deeper than it can safely serialise", async () => {
    // Built as text: JSON.stringify itself overflows the stack on an object this deep.
    const metadata = `${'{"child":'.repeat(5000)}1${"}".repeat(5000)}`;
    const deep = await post("/upsert", `{"id":"deep","vector":[1],"metadata":${metadata}}`);
    expect(deep.status).toBe(400);
    expect((deep.body as { error: string }).error).toMatch(/nests deeper/);
  });

  it("knows its routes and methods", async () => {
    expect((await post("/nope", {})).status).toBe(404);
    expect((await post("/upsert-data", [{ id: "a", data: "text" }])).status).toBe(400);
    expect((await post("/resumable-query", { vector: [1], topK: 1, maxIdle: 10 })).status).toBe(400);
    expect((await post("/info/ns", [])).status).toBe(400);
    expect((await post("/delete-namespace", [])).status).toBe(400);
    const del = await raw("/info", { method: "DELETE" });
    expect(del.status).toBe(405);
    expect((await post("/fetch/%E0%A4%A", { ids: ["a"] })).status).toBe(400);
  });

  it("answers 413 above the body limit, and keeps serving", async () => {
    const reply = await raw("/upsert", { body: Buffer.alloc(MAX_BODY_BYTES + 1, 0x20) });
    expect(reply.status).toBe(413);
    expect((await index.info()).vectorCount).toBe(0);
  });

  it("never answers 5xx to a sweep of odd bodies on every route", async () => {
    const bodies = ["null", "[]", "{}", "[null]", '"x"', "1e999", "true", '{"ids":[{}]}', '{"vector":{},"topK":1}', '{"cursor":-1,"limit":1}', "[[[]]]"];
    const paths = ["/upsert", "/update", "/query", "/fetch", "/delete", "/range", "/reset", "/info", "/list-namespaces", "/query/ns"];
    for (const path of paths) {
      for (const body of bodies) {
        const reply = await post(path, body);
        expect(reply.status, `${path} ${body}`).toBeLessThan(500);
      }
    }
  });
});
