/**
 * Serving with a learned model version, in workerd: a pipeline really trained on a
 * planted log (5 clusters) is exported, published through the admin API and activated;
 * then a brand-new user's first views must personalise the very next request through
 * the fold-in retrieval graph and the ranker, with the version reported.
 */
import { beforeAll, describe, expect, it } from "vitest";
// First: the app registers zod's OpenAPI extension before any shared schema is built.
import { api, seedKeys, uniq } from "../test-support/fixtures.js";
import { clusteredLog } from "../../backend/evaluation/synthetic.js";
import { exportVersion } from "../../backend/training/export-artifacts.js";
import { DEFAULT_PIPELINE, fitPipeline, type PipelineModel } from "../../backend/training/pipeline.js";
import { resetActiveModelForTests } from "../models/active-model.js";
import { adminApi, publishVersion, writeCatalogRecords } from "../test-support/model-artifacts.js";

interface Recs {
  model_version: string;
  items: Array<{ item_id: string; sources: string[]; reason: string }>;
  degraded: string[];
}

const DAY = 86_400_000;
let model: PipelineModel;
let version: string;

beforeAll(async () => {
  await seedKeys();
  await resetActiveModelForTests();
  const start = Date.now() - 14 * DAY;
  // Minutes apart, so the ranker's recency features see realistic gaps.
  const log = clusteredLog({ seed: 5, clusters: 5, itemsPerCluster: 20, users: 300, eventsPerUser: 15 }).map((e) => ({ ...e, ts: start + e.ts * 60_000 }));
  await writeCatalogRecords(log.map((e) => e.item_id));
  // The ranker path itself: no model selection (which may prefer EASE on this log).
  model = fitPipeline(log, [], { ...DEFAULT_PIPELINE, selection: null, factorGrid: [16], rankerQueries: 300 });
  version = uniq("learned");
  const exported = await exportVersion(model, { version });
  const sha = await publishVersion({ version, manifest: exported.manifest, files: exported.files });
  const res = await adminApi("/v1/admin/models/active", { method: "PUT", json: { version } });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(sha).toMatch(/^[0-9a-f]{64}$/);
}, 120_000);

async function view(user: string, item: string): Promise<void> {
  const res = await api("/v1/events", { method: "POST", json: { events: [{ user_id: user, item_id: item, type: "view" }] } });
  expect(res.status).toBe(202);
}

describe("recommendations with an active learned version", () => {
  it("trained a ranker worth shipping", () => {
    expect(model.ranker).not.toBeNull();
  });

  it("personalises a brand-new user's next request from three views through retrieval and the ranker", async () => {
    const user = uniq("fresh");
    for (const item of ["c2-i0", "c2-i1", "c2-i2"]) await view(user, item);
    const res = await api(`/v1/recommendations/${user}?limit=10`);
    expect(res.status).toBe(200);
    const body = await res.json<Recs>();
    expect(body.model_version).toBe(version);
    expect(body.degraded).toEqual([]);
    const inCluster = body.items.filter((i) => i.item_id.startsWith("c2-")).length;
    expect(inCluster, JSON.stringify(body.items.map((i) => i.item_id))).toBeGreaterThanOrEqual(8);
    expect(body.items.some((i) => i.sources.includes("cf"))).toBe(true);
    expect(body.items.map((i) => i.item_id)).not.toContain("c2-i0");
    const timing = res.headers.get("server-timing") ?? "";
    expect(timing).toMatch(/retrieval;dur=/);
    // The ranker's entry names how many candidates it scored.
    expect(Number(/ranker;dur=[\d.]+;desc="(\d+)"/.exec(timing)?.[1])).toBeGreaterThan(body.items.length);
    // The rate limiter's object, the session object, one features pipeline (with the
    // trained history), and the catalog records unless the isolate's cache holds them
    // all: the model is in the isolate.
    const trips = Number(/trips;desc="(\d+)"/.exec(timing)?.[1]);
    expect(trips).toBeGreaterThanOrEqual(3);
    expect(trips).toBeLessThanOrEqual(4);
  });

  it("reports the version for a user without history and serves without retrieval", async () => {
    const res = await api(`/v1/recommendations/${uniq("cold")}?limit=5`);
    const body = await res.json<Recs>();
    expect(res.status).toBe(200);
    expect(body.model_version).toBe(version);
    expect(body.items.every((i) => !i.sources.includes("cf"))).toBe(true);
    expect(res.headers.get("server-timing") ?? "").not.toMatch(/retrieval;dur=/);
  });

  it("answers similar items from the version's published neighbours", async () => {
    const res = await api("/v1/items/c3-i1/similar?limit=5");
    expect(res.status).toBe(200);
    const body = await res.json<{ model_version: string; items: Array<{ item_id: string }> }>();
    expect(body.model_version).toBe(version);
    expect(body.items.length).toBe(5);
    expect(body.items.filter((i) => i.item_id.startsWith("c3-")).length).toBeGreaterThanOrEqual(4);
  });

  it("lists each user of a bulk call exactly as a single request does, with the reads shared", async () => {
    // Two users share anchors (c1-i0), one has a history of its own, one has none.
    const histories = [["c1-i0", "c1-i1"], ["c1-i0", "c4-i2", "c4-i3"], ["c0-i5"], []];
    const users = histories.map(() => uniq("bulk"));
    for (const [i, items] of histories.entries()) for (const item of items) await view(users[i]!, item);
    const single = await Promise.all(users.map(async (u) => (await (await api(`/v1/recommendations/${u}?limit=8`)).json<Recs>()).items));
    const res = await api("/v1/recommendations/bulk", { method: "POST", json: { user_ids: users, limit: 8 } });
    expect(res.status).toBe(200);
    const body = await res.json<{ model_version: string; results: Array<{ items: Recs["items"]; degraded: string[] }> }>();
    expect(body.model_version).toBe(version);
    expect(body.results.map((r) => r.items)).toEqual(single);
    expect(body.results.every((r) => r.degraded.length === 0)).toBe(true);
    // One call per session object and one features pipeline (plus the limiter's object
    // unless the isolate holds a lease); the catalog records are in the isolate's cache
    // after the single requests. Alone, each list waits on its own features pipeline.
    const trips = Number(/trips;desc="(\d+)"/.exec(res.headers.get("server-timing") ?? "")?.[1]);
    expect(trips).toBeGreaterThanOrEqual(users.length + 1);
    expect(trips).toBeLessThanOrEqual(users.length + 2);
  });

  // Last: it activates another version.
  it("builds lists with the candidate limits the version's manifest names", async () => {
    const narrow = { retrieval: 3, similar: 0, realtime: 0, trending: 0, popular: 2 };
    const small = uniq("narrow");
    const exported = await exportVersion({ ...model, params: { ...model.params, candidates: narrow } }, { version: small });
    await publishVersion({ version: small, manifest: exported.manifest, files: exported.files });
    expect((await adminApi("/v1/admin/models/active", { method: "PUT", json: { version: small } })).status).toBe(200);
    const user = uniq("narrow-user");
    for (const item of ["c1-i0", "c1-i1"]) await view(user, item);
    const body = await (await api(`/v1/recommendations/${user}?limit=10`)).json<Recs>();
    expect(body.model_version).toBe(small);
    // Three from retrieval and two popular at most, where the default limits fill ten.
    expect(body.items.length).toBeGreaterThan(0);
    expect(body.items.length).toBeLessThanOrEqual(5);
    expect(body.items.filter((i) => i.sources.includes("cf")).length).toBeLessThanOrEqual(3);
  });
});
