import { env, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { toEdgeItemRecord } from "../../models/catalog.js";
import { DEFAULT_EVENT_WEIGHTS, type StoredEvent } from "../../models/events.js";
import { keys } from "../../models/feature-keys.js";
import { createApp } from "../app.js";
import { applyEventsToFeatures } from "../features/feature-writer.js";
import { redisClient } from "../features/redis-client.js";
import { resetFeatureCaches } from "../features/feature-reader.js";
import { resetPopularMemory } from "../recommend/popular-cache.js";
import { api, KEYS, seedKeys, uniq } from "../test-support/fixtures.js";
import { plantWorld, type PlantedWorld } from "../test-support/planted-world.js";

interface Recs {
  request_id: string;
  user_id: string;
  model_version: string;
  experiment: null;
  items: Array<{ item_id: string; score: number; sources: string[]; reason: string; title?: string }>;
  degraded: string[];
}

let world: PlantedWorld;

async function categoriesOf(ids: string[]): Promise<Array<string | null>> {
  const records = await Promise.all(ids.map((id) => redisClient(env, 5_000).get<string>(keys.item(id))));
  return records.map((r) => (r ? ((JSON.parse(r) as { category?: string | null }).category ?? null) : null));
}

async function setAvailable(itemId: string, available: boolean): Promise<void> {
  const item = world.items.find((i) => i.item_id === itemId)!;
  await redisClient(env, 5_000).set(keys.item(itemId), JSON.stringify(toEdgeItemRecord({ ...item, available })));
}
let prefix: string;

beforeAll(async () => {
  await seedKeys();
  prefix = uniq("rw");
  world = await plantWorld(prefix);
});

async function recs(userId: string, query = ""): Promise<Recs> {
  const res = await api(`/v1/recommendations/${userId}${query}`);
  expect(res.status).toBe(200);
  return await res.json<Recs>();
}

async function view(userId: string, itemId: string, type = "view"): Promise<void> {
  const res = await api("/v1/events", { method: "POST", json: { events: [{ user_id: userId, item_id: itemId, type }] } });
  expect(res.status).toBe(202);
}

describe("GET /v1/recommendations/{userId}", () => {
  it("gives a brand-new user the trending list, in the contract's shape", async () => {
    const user = uniq("new");
    const body = await recs(user, "?limit=5");
    expect(body).toMatchObject({ user_id: user, model_version: "heuristic-v1", experiment: null, degraded: [] });
    expect(body.request_id).toMatch(/.{8,}/);
    expect(body.items).toHaveLength(5);
    for (const item of body.items) {
      expect(item.sources.some((s) => s === "trending" || s === "popular")).toBe(true);
      expect(item.reason).toMatch(/Trending now|Popular this week/);
    }
    const popular = await (await api("/v1/popular?window=24h&limit=10")).json<{ items: Array<{ item_id: string }> }>();
    const popularIds = popular.items.map((i) => i.item_id);
    for (const item of body.items) expect(popularIds).toContain(item.item_id);
  });

  it("personalises the very next request after a view, with co-viewed neighbours and a reason naming the item", async () => {
    const user = uniq("u");
    const before = await recs(user);
    const x = world.clusters.trail[0]!;
    await view(user, x);
    const after = await recs(user);
    expect(after.items.map((i) => i.item_id)).not.toEqual(before.items.map((i) => i.item_id));
    const top = after.items.slice(0, 3);
    for (const item of top) {
      expect(world.clusters.trail).toContain(item.item_id);
      expect(item.sources).toContain("co_view");
      expect(item.reason).toBe("Because you viewed Trail item 0");
    }
    expect(after.items.map((i) => i.item_id)).not.toContain(x);
  });

  it("never recommends consumed, excluded or unavailable items, and honours a category", async () => {
    const user = uniq("u");
    const [a, b, c, d, , f] = world.clusters.coffee;
    await view(user, a!, "view");
    await view(user, b!, "purchase");
    const body = await recs(user, `?exclude=${c}&limit=20`);
    const ids = body.items.map((i) => i.item_id);
    expect(ids).not.toContain(b);
    expect(ids).not.toContain(c);
    expect(ids).toContain(d);
    // f is a co-viewed neighbour and listed while available; once the catalog marks it unavailable it is gone.
    expect(ids).toContain(f);
    await setAvailable(f!, false);
    try {
      resetFeatureCaches();
      expect((await recs(user, `?exclude=${c}&limit=20`)).items.map((i) => i.item_id)).not.toContain(f);
    } finally {
      await setAvailable(f!, true);
      resetFeatureCaches();
    }

    const kitchen = await recs(user, "?category=kitchen&limit=20");
    // Other test files' items share the store, so each item's category is read from its catalog record.
    const categories = await categoriesOf(kitchen.items.map((i) => i.item_id));
    expect(categories.length).toBeGreaterThan(0);
    expect(new Set(categories)).toEqual(new Set(["kitchen"]));
    expect(kitchen.items.map((i) => i.item_id)).toContain(d); // coffee-3: a kitchen item of the viewed cluster
  });

  it("answers with the last good popular list and says so when Redis is unreachable", async () => {
    const app = createApp();
    const call = async (bindings: typeof env) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request(`http://edge.test/v1/recommendations/${uniq("u")}`, { headers: { authorization: `Bearer ${KEYS.client}` } }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return { status: res.status, body: await res.json<Recs>() };
    };
    resetPopularMemory(); // the good answer below then leaves exactly its lists as the fallback
    const good = await call(env);
    resetFeatureCaches(); // a fresh isolate: nothing cached but the fallback list
    const down = await call({ ...env, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" });
    expect(down.status).toBe(200);
    expect(down.body.degraded).toContain("features");
    expect(down.body.items.map((i) => i.item_id)).toEqual(good.body.items.map((i) => i.item_id));
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=abc", "limit"],
    ["limit=1000", "limit"],
    [`item_id=${"x".repeat(200)}`, "item_id"],
    ["exclude=a,b%20c", "exclude"],
  ])("rejects ?%s naming the parameter", async (query, field) => {
    const res = await api(`/v1/recommendations/u1?${query}`);
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { field: string } }>()).error.field).toMatch(new RegExp(`^${field}`));
  });
});

describe("POST /v1/recommendations/bulk", () => {
  it("answers one list per user in request order", async () => {
    const users = [uniq("b"), uniq("b"), uniq("b")];
    await view(users[1]!, world.clusters.coffee[2]!);
    const res = await api("/v1/recommendations/bulk", { method: "POST", json: { user_ids: users, limit: 4 } });
    expect(res.status).toBe(200);
    const body = await res.json<{ results: Array<{ user_id: string; items: Recs["items"] }> }>();
    expect(body.results.map((r) => r.user_id)).toEqual(users);
    expect(body.results.every((r) => r.items.length === 4)).toBe(true);
    expect(body.results[1]!.items[0]!.reason).toBe("Because you viewed Coffee item 2");
    // One Server-Timing entry per stage, not one per user: a 1,000-user call overflowed clients' header limit.
    const stages = (res.headers.get("server-timing") ?? "").split(", ").map((e) => e.split(";")[0]);
    expect(stages.filter((s) => s === "session")).toHaveLength(1);
    expect(res.headers.get("server-timing")).toMatch(/session;dur=[\d.]+;desc="3x"/);
  });

  it("refuses more than 1000 users and a non-array", async () => {
    const many = Array.from({ length: 1001 }, (_, i) => `u${i}`);
    const tooMany = await api("/v1/recommendations/bulk", { method: "POST", json: { user_ids: many } });
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json<{ error: { field: string } }>()).error.field).toBe("user_ids");
    const wrong = await api("/v1/recommendations/bulk", { method: "POST", json: { user_ids: "u1" } });
    expect(wrong.status).toBe(400);
  });
});

describe("item lists", () => {
  it("similar lists co-viewed items of the same cluster", async () => {
    const x = world.clusters.coffee[0]!;
    const body = await (await api(`/v1/items/${x}/similar?limit=3`)).json<{ item_id: string; items: Array<{ item_id: string; title: string }> }>();
    expect(body.item_id).toBe(x);
    expect(body.items).toHaveLength(3);
    for (const item of body.items) expect(world.clusters.coffee).toContain(item.item_id);
    expect(body.items[0]!.title).toMatch(/^Coffee item/);
  });

  it("bought-together lists the items purchased with this one, best first, and not those only viewed with it", async () => {
    const [, , x, , y, z] = world.clusters.trail;
    const now = Date.now();
    const events: StoredEvent[] = [];
    // Three users buy x with y, one buys x with z: y outranks z. Nobody buys x with anything else.
    for (const [u, other] of [
      [0, y],
      [1, y],
      [2, y],
      [3, z],
    ] as const) {
      const user = `${prefix}-buyer-${u}`;
      events.push({
        event_id: `${prefix}-bt-${u}-a`,
        user_id: user,
        session_id: null,
        item_id: x!,
        type: "purchase",
        value: null,
        ts: now - 60_000,
        context: null,
      });
      events.push({
        event_id: `${prefix}-bt-${u}-b`,
        user_id: user,
        session_id: null,
        item_id: other!,
        type: "purchase",
        value: null,
        ts: now - 30_000,
        context: null,
      });
    }
    await applyEventsToFeatures(redisClient(env, 5_000), events, DEFAULT_EVENT_WEIGHTS, now);
    resetFeatureCaches();
    const res = await api(`/v1/items/${x}/bought-together?limit=5`);
    expect(res.status).toBe(200);
    const body = await res.json<{ item_id: string; items: Array<{ item_id: string; score: number; title?: string }> }>();
    expect(body.item_id).toBe(x);
    expect(body.items.map((i) => i.item_id)).toEqual([y, z]);
    expect(body.items[0]!.score).toBeGreaterThan(body.items[1]!.score);
    expect(body.items[0]!.title).toBe("Trail item 4");
  });

  it("popular within a category lists only that category, most popular first", async () => {
    const res = await api("/v1/popular?window=24h&category=kitchen&limit=50");
    expect(res.status).toBe(200);
    const body = await res.json<{ window: string; category: string; items: Array<{ item_id: string; score: number }> }>();
    expect([body.window, body.category]).toEqual(["24h", "kitchen"]);
    const ids = body.items.map((i) => i.item_id);
    expect(new Set(await categoriesOf(ids))).toEqual(new Set(["kitchen"]));
    // The planted kitchen items (odd coffee items) are there; the planted books items are not.
    for (const k of [1, 3, 5]) expect(ids).toContain(world.clusters.coffee[k]);
    for (const k of [0, 2, 4]) expect(ids).not.toContain(world.clusters.coffee[k]);
    const scores = body.items.map((i) => i.score);
    expect(scores).toEqual([...scores].sort((p, q) => q - p));
  });

  it("popular refuses an unknown window", async () => {
    const res = await api("/v1/popular?window=2w");
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { field: string } }>()).error.field).toBe("window");
  });
});
