import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServedList, StoredEvent, StoredFeedback } from "../../models/events.js";
import { feedback, interactions, servedLists, users } from "../db/schema.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
});
afterAll(() => h.close());

const auth = bearer(BACKEND_TOKEN);
const ingest = (body: unknown, headers = auth) => h.request("/internal/v1/ingest", jsonRequest("POST", body, headers));

function event(n: number, user: string, overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    event_id: `${h.prefix}-${user}-e${n}`,
    user_id: `${h.prefix}-${user}`,
    session_id: `${h.prefix}-s1`,
    item_id: `item-${n % 17}`,
    type: n % 5 === 0 ? "click" : "view",
    value: null,
    ts: Date.UTC(2026, 0, 1) + n * 60_000,
    context: n % 3 === 0 ? { page: "home", position: n } : null,
    ...overrides,
  };
}

async function countRows(userId: string): Promise<number> {
  const [row] = await h.database.db.select({ n: sql<number>`count(*)::int` }).from(interactions).where(eq(interactions.userId, userId));
  return row?.n ?? 0;
}

describe("POST /internal/v1/ingest", () => {
  it("stores a batch once: replaying it inserts nothing and counts duplicates", async () => {
    const events = Array.from({ length: 20 }, (_, i) => event(i, "replay"));
    const fb: StoredFeedback[] = [
      { feedback_id: `${h.prefix}-f1`, request_id: `${h.prefix}-r1`, user_id: `${h.prefix}-replay`, item_id: "item-1", type: "click", ts: Date.now() },
    ];
    const served: ServedList[] = [
      {
        request_id: `${h.prefix}-r1`,
        user_id: `${h.prefix}-replay`,
        model_version: "v1",
        context: "home",
        items: ["item-1", "item-2"],
        degraded: [],
        ts: Date.now(),
      },
    ];
    const first = await ingest({ events, feedback: fb, served });
    expect(first.status).toBe(200);
    expect(await json(first)).toEqual({
      events: { inserted: 20, duplicates: 0 },
      feedback: { inserted: 1, duplicates: 0 },
      served: { inserted: 1, duplicates: 0 },
      shadow: { inserted: 0, duplicates: 0 },
    });
    const second = await ingest({ events, feedback: fb, served });
    expect(await json(second)).toEqual({
      events: { inserted: 0, duplicates: 20 },
      feedback: { inserted: 0, duplicates: 1 },
      served: { inserted: 0, duplicates: 1 },
      shadow: { inserted: 0, duplicates: 0 },
    });
    expect(await countRows(`${h.prefix}-replay`)).toBe(20);

    const [user] = await h.database.db
      .select()
      .from(users)
      .where(eq(users.userId, `${h.prefix}-replay`));
    expect(user).toMatchObject({ eventCount: 20 });
    expect(user?.firstSeenAt.getTime()).toBe(events[0]!.ts);
    expect(user?.lastSeenAt.getTime()).toBe(events[19]!.ts);
  });

  it("counts a repeat inside one batch as a duplicate", async () => {
    const e = event(1, "inbatch");
    const response = await ingest({ events: [e, e, { ...e }] });
    expect((await json(response)).events).toEqual({ inserted: 1, duplicates: 2 });
  });

  it("stores exactly 5,000 rows from 5,000 events sent in overlapping, concurrent batches", async () => {
    const events = Array.from({ length: 5000 }, (_, i) => event(i, `bulk${i % 50}`));
    const batches: StoredEvent[][] = [];
    for (let i = 0; i < events.length; i += 500) batches.push(events.slice(i, i + 500));
    // Redeliver every batch (at least once) and run them concurrently, as queue consumers would.
    const results = await Promise.all([...batches, ...batches].map((b) => ingest({ events: b }).then(json)));
    const inserted = results.reduce((n, r) => n + r.events.inserted, 0);
    const duplicates = results.reduce((n, r) => n + r.events.duplicates, 0);
    expect(inserted).toBe(5000);
    expect(duplicates).toBe(5000);
    const [row] = await h.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(interactions)
      .where(sql`${interactions.userId} like ${`${h.prefix}-bulk%`}`);
    expect(row?.n).toBe(5000);
    const [sum] = await h.database.db
      .select({ n: sql<number>`sum(${users.eventCount})::int` })
      .from(users)
      .where(sql`${users.userId} like ${`${h.prefix}-bulk%`}`);
    expect(sum?.n).toBe(5000);
  });

  it("round-trips every field of an event", async () => {
    const e = event(3, "fields", { type: "rating", value: 4.5, context: { page: "pdp", ok: true, n: null } });
    await ingest({ events: [e] });
    const [row] = await h.database.db.select().from(interactions).where(eq(interactions.eventId, e.event_id));
    expect(row).toMatchObject({
      userId: e.user_id,
      itemId: e.item_id,
      type: "rating",
      value: 4.5,
      sessionId: e.session_id,
      context: { page: "pdp", ok: true, n: null },
    });
    expect(row?.ts.getTime()).toBe(e.ts);
  });

  it("counts each served list once in the serving metrics: by version and variant, latency, degraded stages, items by source", async () => {
    const list = (n: number, extra: Partial<ServedList> = {}): ServedList => ({
      request_id: `${h.prefix}-metrics-${n}`,
      user_id: `${h.prefix}-mu-${n % 3}`,
      model_version: "v-metrics",
      context: null,
      items: ["a", "b"],
      degraded: [],
      ts: 1_700_000_000_000 + n,
      latency_ms: 3,
      sources: { cf: 2, popular: 1 },
      ...extra,
    });
    const lists = [
      ...Array.from({ length: 7 }, (_, n) => list(n)),
      list(7, { experiment: { id: "exp-m", variant: "treatment" }, latency_ms: 40 }),
      list(8, { degraded: ["features", "history"], sources: { popular: 2 } }),
    ];
    await ingest({ served: lists });
    await ingest({ served: lists }); // redelivered: stored once, counted once
    const text = await h.metrics.registry.metrics();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1] ?? "NaN");
    expect(value('recs_backend_served_lists_total{model_version="v-metrics",experiment="",variant=""}')).toBe(8);
    expect(value('recs_backend_served_lists_total{model_version="v-metrics",experiment="exp-m",variant="treatment"}')).toBe(1);
    expect(value('recs_backend_served_latency_seconds_count{model_version="v-metrics"}')).toBe(9);
    expect(value('recs_backend_served_latency_seconds_bucket{le="0.005",model_version="v-metrics"}')).toBe(8);
    expect(value('recs_backend_served_degraded_total{stage="features"}')).toBe(1);
    expect(value('recs_backend_served_degraded_total{stage="history"}')).toBe(1);
    expect(value('recs_backend_served_items_total{source="cf"}')).toBe(16);
    expect(value('recs_backend_served_items_total{source="popular"}')).toBe(10);
  });

  it("accepts an empty batch", async () => {
    expect(await json(await ingest({}))).toEqual({
      events: { inserted: 0, duplicates: 0 },
      feedback: { inserted: 0, duplicates: 0 },
      served: { inserted: 0, duplicates: 0 },
      shadow: { inserted: 0, duplicates: 0 },
    });
  });

  it.each([
    [{ events: [{ event_id: "e" }] }, "events.0.user_id"],
    [{ events: "x" }, "events"],
    [{ events: [{ ...baseEvent(), type: "like" }] }, "events.0.type"],
    [{ events: [{ ...baseEvent(), ts: -1 }] }, "events.0.ts"],
    [{ events: [{ ...baseEvent(), ts: 1.5 }] }, "events.0.ts"],
    [{ events: [{ ...baseEvent(), ts: 8.64e15 }] }, "events.0.ts"],
    [{ events: [{ ...baseEvent(), user_id: "a b" }] }, "events.0.user_id"],
    [{ events: [{ ...baseEvent(), context: { k: "v\u0000" } }] }, "events.0.context.k"],
    [{ events: [{ ...baseEvent(), extra: 1 }] }, "events.0.extra"],
    [{ feedback: [{ feedback_id: "f", request_id: "r", user_id: "u", item_id: "i", type: "like", ts: 1 }] }, "feedback.0.type"],
    [{ served: [{ request_id: "r", user_id: "u", model_version: "v", context: null, items: ["ok", "bad id"], degraded: [], ts: 1 }] }, "served.0.items.1"],
    [{ served: [{ request_id: "r", user_id: "u", model_version: "v\u0000", context: null, items: [], degraded: [], ts: 1 }] }, "served.0.model_version"],
    [
      { served: [{ request_id: "r", user_id: "u", model_version: "v", context: null, items: ["a", "b"], degraded: [], ts: 1, scores: [1] }] },
      "served.0.scores",
    ],
    [{ served: [{ request_id: "r", user_id: "u", model_version: "v", context: null, items: ["a"], degraded: [], ts: 1, scores: ["1"] }] }, "served.0.scores.0"],
    [
      {
        served: [{ request_id: "r", user_id: "u", model_version: "v", context: null, items: [], degraded: [], ts: 1, experiment: { id: "e", variant: "a:b" } }],
      },
      "served.0.experiment.variant",
    ],
    [
      { served: [{ request_id: "r", user_id: "u", model_version: "v", context: null, items: [], degraded: [], ts: 1, experiment: { id: "e" } }] },
      "served.0.experiment.variant",
    ],
    [{ nope: [] }, "nope"],
    ["text", "body"],
  ])("rejects %j naming %s", async (body, field) => {
    const response = await ingest(body);
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({ code: "invalid_request", field });
  });

  it("needs the backend token (constant-time compared)", async () => {
    const body = { events: [] };
    for (const headers of [{}, bearer("wrong"), bearer(`${BACKEND_TOKEN}x`), { authorization: BACKEND_TOKEN }]) {
      const response = await ingest(body, headers);
      expect(response.status).toBe(401);
      expect((await json(response)).error.code).toBe("unauthorized");
    }
    // An API key, even an admin one, is not the service token.
    expect((await ingest(body, bearer(h.keys.admin))).status).toBe(401);
  });
});

function baseEvent(): StoredEvent {
  return { event_id: "e1", user_id: "u1", session_id: null, item_id: "i1", type: "view", value: null, ts: 1_700_000_000_000, context: null };
}

describe("DELETE /internal/v1/users/{userId}", () => {
  it("deletes the user's interactions, feedback, served lists and row, and nobody else's", async () => {
    const victim = `${h.prefix}-victim`;
    const bystander = `${h.prefix}-bystander`;
    await ingest({
      events: [event(1, "victim"), event(2, "victim"), event(1, "bystander")],
      feedback: [{ feedback_id: `${h.prefix}-vf`, request_id: `${h.prefix}-vr`, user_id: victim, item_id: "i", type: "click", ts: 1_700_000_000_000 }],
      served: [{ request_id: `${h.prefix}-vr`, user_id: victim, model_version: "v", context: null, items: [], degraded: [], ts: 1_700_000_000_000 }],
    });
    const response = await h.request(`/internal/v1/users/${victim}`, { method: "DELETE", headers: auth });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      user_id: victim,
      deleted: { interactions: 2, feedback: 1, served_lists: 1, shadow_lists: 0, users: 1 },
    });
    expect(await countRows(victim)).toBe(0);
    expect(await countRows(bystander)).toBe(1);
    expect(await h.database.db.select().from(feedback).where(eq(feedback.userId, victim))).toEqual([]);
    expect(await h.database.db.select().from(servedLists).where(eq(servedLists.userId, victim))).toEqual([]);

    const again = await h.request(`/internal/v1/users/${victim}`, { method: "DELETE", headers: auth });
    expect((await json(again)).deleted).toEqual({ interactions: 0, feedback: 0, served_lists: 0, shadow_lists: 0, users: 0 });
  });

  it("needs the backend token and a well-formed user id", async () => {
    expect((await h.request("/internal/v1/users/u1", { method: "DELETE" })).status).toBe(401);
    const bad = await h.request(`/internal/v1/users/${"u".repeat(200)}`, { method: "DELETE", headers: auth });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe("userId");
  });
});

describe("GET /api/v1/users/{userId}/interactions", () => {
  it("lists a user's interactions newest first, for admins only", async () => {
    await ingest({ events: [event(1, "debug"), event(2, "debug"), event(3, "debug")] });
    const response = await h.request(`/api/v1/users/${h.prefix}-debug/interactions?limit=2`, { headers: bearer(h.keys.admin) });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.interactions.map((i: { event_id: string }) => i.event_id)).toEqual([`${h.prefix}-debug-e3`, `${h.prefix}-debug-e2`]);
    expect((await h.request(`/api/v1/users/${h.prefix}-debug/interactions`, { headers: bearer(h.keys.client) })).status).toBe(403);
    const bad = await h.request(`/api/v1/users/${h.prefix}-debug/interactions?limit=0`, { headers: bearer(h.keys.admin) });
    expect((await json(bad)).error.field).toBe("limit");
  });
});
