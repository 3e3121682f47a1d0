import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys as featureKeys } from "../../models/feature-keys.js";
import { bearer, json, jsonRequest, startHarness, TEST_REDIS_URL, type Harness } from "../test-support/backend-harness.js";

let h: Harness;
let redis: IORedis;
const written: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  redis = new IORedis(TEST_REDIS_URL);
});

afterAll(async () => {
  if (written.length > 0) await redis.del(...written);
  redis.disconnect();
  await h.close();
});

const id = (n: number | string) => `${h.prefix}-item-${n}`;

async function upsert(items: unknown[], key = h.keys.admin) {
  const response = await h.request("/api/v1/catalog/items", jsonRequest("POST", { items }, bearer(key)));
  for (const item of items as Array<{ item_id?: unknown }>) {
    if (typeof item.item_id === "string") written.push(featureKeys.item(item.item_id));
  }
  return response;
}

describe("POST /api/v1/catalog/items", () => {
  it("stores items and writes the edge record of each to the feature store", async () => {
    const response = await upsert([
      { item_id: id(1), title: "Trail running shoe 1", category: "shoes", tags: ["trail"], price: 129.5, attributes: { color: "red" } },
      { item_id: id(2), title: "Espresso cup", available: false },
    ]);
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ upserted: 2, feature_store: "synced" });

    expect(JSON.parse((await redis.get(featureKeys.item(id(1))))!)).toEqual({
      title: "Trail running shoe 1",
      category: "shoes",
      available: true,
      price: 129.5,
    });
    expect(JSON.parse((await redis.get(featureKeys.item(id(2))))!)).toEqual({
      title: "Espresso cup",
      category: null,
      available: false,
      price: null,
    });
  });

  it("replaces an item on a second upsert and moves updated_at, not created_at", async () => {
    await upsert([{ item_id: id("r"), title: "Old", category: "books", tags: ["x"] }]);
    const before = await json(await h.request(`/api/v1/catalog/items/${id("r")}`, { headers: bearer(h.keys.admin) }));
    await new Promise((r) => setTimeout(r, 5));
    await upsert([{ item_id: id("r"), title: "New" }]);
    const after = await json(await h.request(`/api/v1/catalog/items/${id("r")}`, { headers: bearer(h.keys.admin) }));
    expect(after).toMatchObject({ title: "New", category: null, tags: [], created_at: before.created_at });
    expect(after.updated_at > before.updated_at).toBe(true);
  });

  it("accepts 1000 items in one request", async () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ item_id: id(`bulk-${i}`), title: `Bulk ${i}`, category: "bulk" }));
    const response = await upsert(items);
    expect(await json(response)).toEqual({ upserted: 1000, feature_store: "synced" });
  });

  it("still stores the catalog when the feature store is down, answers pending, and re-syncs later", async () => {
    h.featureStore.failing = true;
    const response = await upsert([{ item_id: id("p"), title: "Pending item", price: 5 }]);
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ upserted: 1, feature_store: "pending" });
    expect(h.catalogSync.pendingSince()).not.toBeNull();
    const read = await h.request(`/api/v1/catalog/items/${id("p")}`, { headers: bearer(h.keys.admin) });
    expect(read.status).toBe(200);

    expect(await h.catalogSync.resyncPending()).toBe(false); // still down: stays pending
    expect(await redis.get(featureKeys.item(id("p")))).toBeNull();

    h.featureStore.failing = false;
    expect(await h.catalogSync.resyncPending()).toBe(true);
    expect(h.catalogSync.pendingSince()).toBeNull();
    expect(JSON.parse((await redis.get(featureKeys.item(id("p"))))!)).toMatchObject({ title: "Pending item", price: 5 });
  });

  it.each([
    [{}, "items"],
    [{ items: [] }, "items"],
    [{ items: "x" }, "items"],
    [{ items: [{ title: "no id" }] }, "items.0.item_id"],
    [{ items: [{ item_id: "bad id!", title: "t" }] }, "items.0.item_id"],
    [{ items: [{ item_id: "a", title: "" }] }, "items.0.title"],
    [{ items: [{ item_id: "a", title: "t", price: -1 }] }, "items.0.price"],
    [{ items: [{ item_id: "a", title: "t", price: "9" }] }, "items.0.price"],
    [{ items: [{ item_id: "a", title: "t", available: "yes" }] }, "items.0.available"],
    [{ items: [{ item_id: "a", title: "t", tags: [""] }] }, "items.0.tags.0"],
    [{ items: [{ item_id: "a", title: "t", colour: "red" }] }, "items.0.colour"],
    [{ items: [{ item_id: "a", title: "t\u0000" }] }, "items.0.title"],
    [{ items: [{ item_id: "a", title: "t", attributes: { k: "v\u0000" } }] }, "items.0.attributes.k"],
    [{ items: [{ item_id: "a", title: "t", attributes: { big: "x".repeat(9000) } }] }, "items.0.attributes"],
    [
      {
        items: [
          { item_id: "a", title: "t" },
          { item_id: "a", title: "u" },
        ],
      },
      "items.1.item_id",
    ],
    [{ items: [{ item_id: "a", title: "t" }], extra: 1 }, "extra"],
    [[], "body"],
    [null, "body"],
  ])("rejects %j naming %s", async (body, field) => {
    const response = await h.request("/api/v1/catalog/items", jsonRequest("POST", body, bearer(h.keys.admin)));
    expect(response.status).toBe(400);
    const payload = await json(response);
    expect(payload.error).toMatchObject({ code: "invalid_request", field });
    expect(payload.error.message).toContain(field);
  });

  it("rejects more than 1000 items", async () => {
    const items = Array.from({ length: 1001 }, (_, i) => ({ item_id: `x${i}`, title: "t" }));
    const response = await h.request("/api/v1/catalog/items", jsonRequest("POST", { items }, bearer(h.keys.admin)));
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({ field: "items", message: "items: must hold at most 1000 items" });
  });

  it("needs the admin scope", async () => {
    const response = await upsert([{ item_id: id("s"), title: "t" }], h.keys.client);
    expect(response.status).toBe(403);
  });
});

describe("GET /api/v1/catalog/items/{itemId}", () => {
  it("returns the stored item to a recs:read key", async () => {
    await upsert([{ item_id: id("g"), title: "Gaming mouse", category: "gear", tags: ["gaming"], price: 49, attributes: { dpi: 16000 } }]);
    const response = await h.request(`/api/v1/catalog/items/${id("g")}`, { headers: bearer(h.keys.reader) });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      item_id: id("g"),
      title: "Gaming mouse",
      category: "gear",
      tags: ["gaming"],
      price: 49,
      available: true,
      attributes: { dpi: 16000 },
    });
  });

  it("404s an unknown item and 400s a malformed id, both naming itemId", async () => {
    const missing = await h.request(`/api/v1/catalog/items/${id("nope")}`, { headers: bearer(h.keys.reader) });
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toMatchObject({ code: "not_found", field: "itemId" });
    const bad = await h.request(`/api/v1/catalog/items/${"x".repeat(129)}`, { headers: bearer(h.keys.reader) });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe("itemId");
    const weird = await h.request("/api/v1/catalog/items/a%20b", { headers: bearer(h.keys.reader) });
    expect(weird.status).toBe(400);
  });

  it("refuses a key with only events:write", async () => {
    const response = await h.request(`/api/v1/catalog/items/${id("g")}`, { headers: bearer(h.keys.writer) });
    expect(response.status).toBe(403);
  });
});

describe("GET /api/v1/catalog/items", () => {
  it("pages through a category in item-id order with a cursor", async () => {
    const category = `${h.prefix}-cat`;
    await upsert(Array.from({ length: 7 }, (_, i) => ({ item_id: id(`c${i}`), title: `C ${i}`, category })));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = new URLSearchParams({ limit: "3", category, ...(cursor ? { cursor } : {}) }).toString();
      const response = await h.request(`/api/v1/catalog/items?${qs}`, { headers: bearer(h.keys.reader) });
      expect(response.status).toBe(200);
      const page = (await json(response)) as { items: Array<{ item_id: string }>; next_cursor: string | null };
      seen.push(...page.items.map((i) => i.item_id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => id(`c${i}`)));
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["limit=abc", "limit"],
    ["limit=1.5", "limit"],
    ["cursor=bad%20cursor", "cursor"],
    [`category=${"x".repeat(200)}`, "category"],
  ])("rejects ?%s naming %s", async (qs, field) => {
    const response = await h.request(`/api/v1/catalog/items?${qs}`, { headers: bearer(h.keys.reader) });
    expect(response.status).toBe(400);
    expect((await json(response)).error.field).toBe(field);
  });
});
