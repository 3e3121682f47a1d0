/**
 * Serving an EASE version in workerd: a pipeline fitted on a planted log with EASE as
 * its scorer and the retrieval ordering is exported, published and activated; a
 * brand-new user's first views must then be served the very list the trainer's replay
 * (rankForUser) computes from the same history — the edge's gather-sum over the
 * item-weights table is the trainer's arithmetic.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
// First: the app registers zod's OpenAPI extension before any shared schema is built.
import { api, seedKeys, uniq } from "../test-support/fixtures.js";
import { DEFAULT_EVENT_WEIGHTS } from "../../models/events.js";
import { clusteredLog } from "../../backend/evaluation/synthetic.js";
import { fitEaseComponent } from "../../backend/training/ease-component.js";
import { exportVersion } from "../../backend/training/export-artifacts.js";
import { DEFAULT_PIPELINE, fitPipeline, rankForUser, type PipelineModel } from "../../backend/training/pipeline.js";
import { keys } from "../../models/feature-keys.js";
import { encodeTrainedHistory, type TrainedItem } from "../../models/trained-history.js";
import { redisClient } from "../features/redis-client.js";
import { resetActiveModelForTests } from "../models/active-model.js";
import { sessionStub } from "../session/session-store.js";
import { adminApi, publishVersion, writeCatalogRecords, signed, uploadFiles } from "../test-support/model-artifacts.js";

interface Recs {
  model_version: string;
  items: Array<{ item_id: string; sources: string[] }>;
  degraded: string[];
}

const DAY = 86_400_000;
let model: PipelineModel;
let version: string;

beforeAll(async () => {
  await seedKeys();
  await resetActiveModelForTests();
  const start = Date.now() - 14 * DAY;
  const log = clusteredLog({ seed: 9, clusters: 5, itemsPerCluster: 20, users: 300, eventsPerUser: 15 }).map((e) => ({ ...e, ts: start + e.ts * 60_000 }));
  await writeCatalogRecords(log.map((e) => e.item_id));
  const base = fitPipeline(log, [], { ...DEFAULT_PIPELINE, selection: null, ranker: null, factorGrid: [16] });
  model = { ...base, ease: fitEaseComponent(log, { lambda: 10, dropout: 0, keep: 100 }), scorer: "ease", ordering: "retrieval" };
  version = uniq("ease");
  const exported = await exportVersion(model, { version });
  expect(exported.manifest.scorer).toEqual({ kind: "ease", lambda: 10, dropout: 0, keep: exported.manifest.catalog_size - 1 });
  await publishVersion({ version, manifest: exported.manifest, files: exported.files });
  const res = await adminApi("/v1/admin/models/active", { method: "PUT", json: { version } });
  expect(res.status, await res.clone().text()).toBe(200);
}, 120_000);

describe("recommendations with an active EASE version", () => {
  it("serves a brand-new user the trainer's replay of the same three views, in order", async () => {
    const user = uniq("fresh");
    const viewed = ["c3-i0", "c3-i4", "c3-i7"];
    for (const item of viewed) {
      const res = await api("/v1/events", { method: "POST", json: { events: [{ user_id: user, item_id: item, type: "view" }] } });
      expect(res.status).toBe(202);
    }
    const res = await api(`/v1/recommendations/${user}?limit=10`);
    expect(res.status).toBe(200);
    const body = await res.json<Recs>();
    expect(body.model_version).toBe(version);
    expect(body.degraded).toEqual([]);
    const now = Date.now();
    const history = viewed.map((item_id, i) => ({ item_id, ts: now - (3 - i) * 1000, weight: DEFAULT_EVENT_WEIGHTS.view }));
    const replay = rankForUser(model, { history, now, context: null, popularity: { trending: [], popular: [] }, exclude: new Set() })
      .slice(0, 10)
      .map((r) => r.item_id);
    expect(body.items.map((i) => i.item_id)).toEqual(replay);
    expect(body.items.every((i) => i.sources.includes("cf"))).toBe(true);
    expect(body.items.filter((i) => i.item_id.startsWith("c3-")).length).toBeGreaterThanOrEqual(8);
    expect(res.headers.get("server-timing") ?? "").toMatch(/retrieval;dur=/);
    expect(res.headers.get("server-timing") ?? "").not.toMatch(/ranker;dur=/);
  });

  it("serves a user known only from training the replay of the trained history, merged with newer session events", async () => {
    const user = uniq("imported");
    const now = Date.now();
    const trained: TrainedItem[] = [
      { item_id: "c1-i2", weight: 2 * DEFAULT_EVENT_WEIGHTS.view, ts: now - 3 * DAY },
      { item_id: "c1-i5", weight: DEFAULT_EVENT_WEIGHTS.purchase, ts: now - 9 * DAY },
    ];
    // As the backend's history publisher writes it when a version is activated.
    await redisClient(env, 2_000).set(keys.trainedHistory(user), encodeTrainedHistory(trained));
    const replayOf = (history: Array<{ item_id: string; ts: number; weight: number }>) =>
      rankForUser(model, { history, now, context: null, popularity: { trending: [], popular: [] }, exclude: new Set() })
        .slice(0, 10)
        .map((r) => r.item_id);

    const first = await (await api(`/v1/recommendations/${user}?limit=10`)).json<Recs>();
    expect(first.degraded).toEqual([]);
    expect(first.items.map((i) => i.item_id)).toEqual(replayOf(trained));
    expect(first.items.every((i) => i.sources.includes("cf"))).toBe(true);
    expect(first.items.map((i) => i.item_id)).not.toContain("c1-i2");

    const res = await api("/v1/events", { method: "POST", json: { events: [{ user_id: user, item_id: "c1-i9", type: "view" }] } });
    expect(res.status).toBe(202);
    const merged = await (await api(`/v1/recommendations/${user}?limit=10`)).json<Recs>();
    const live = { item_id: "c1-i9", ts: now, weight: DEFAULT_EVENT_WEIGHTS.view };
    expect(merged.items.map((i) => i.item_id)).toEqual(replayOf([live, ...trained]));
    expect(merged.items.map((i) => i.item_id)).not.toContain("c1-i9");
  });

  it("leaves the trained history unread for a user who turned personalisation off", async () => {
    const user = uniq("declined");
    await redisClient(env, 2_000).set(keys.trainedHistory(user), encodeTrainedHistory([{ item_id: "c2-i1", weight: 5, ts: Date.now() - DAY }]));
    await sessionStub(env, user).setConsent(false, Date.now());
    const body = await (await api(`/v1/recommendations/${user}?limit=10`)).json<Recs & { personalised: boolean }>();
    expect(body.personalised).toBe(false);
    expect(body.items.every((i) => !i.sources.includes("cf"))).toBe(true);
  });

  it("serves a user without history without running retrieval", async () => {
    const res = await api(`/v1/recommendations/${uniq("cold")}?limit=5`);
    expect(res.status).toBe(200);
    const body = await res.json<Recs>();
    expect(body.model_version).toBe(version);
    expect(body.items.every((i) => !i.sources.includes("cf"))).toBe(true);
    expect(res.headers.get("server-timing") ?? "").not.toMatch(/retrieval;dur=/);
  });

  it("refuses an EASE manifest without its item-weights file, and one whose table does not fit the catalog", async () => {
    const exported = await exportVersion(model, { version: uniq("ease-bad") });
    const without = { ...exported, files: exported.files.filter((f) => f.role !== "item_weights") };
    const manifest = { ...exported.manifest, files: exported.manifest.files.filter((f) => f.role !== "item_weights") };
    await uploadFiles({ version: exported.manifest.version, manifest, files: without.files });
    const res = await adminApi(`/v1/admin/models/${exported.manifest.version}/manifest`, { method: "PUT", json: await signed(manifest) });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("a file with role item_weights is required for scorer ease");
  });
});
