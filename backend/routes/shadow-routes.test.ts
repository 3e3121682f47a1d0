/**
 * Shadow rollouts on PostgreSQL: started and stopped through the API (reaching a
 * recording edge), fed planted served lists, shadow lists, feedback and events through
 * the real ingest endpoint, and read out — every figure of the comparison checked
 * against the planted counts.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ShadowConfig } from "../../models/shadow.js";
import { createBackendApp } from "../app.js";
import type { AppEnv } from "../http/app-env.js";
import { silentLogger } from "../logger.js";
import { PublishError } from "../publish/edge-admin-client.js";
import { promote } from "../registry/model-registry.js";
import type { ShadowPublisher } from "../shadow/shadow-publisher.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";
import { recordingExperimentPublisher } from "../test-support/experiment-stand-ins.js";
import { recordingPublisher, scriptedTrainer, publishedVersion as publishVersion } from "../test-support/training-stand-ins.js";
import { createTrainingRunner } from "../training-jobs/job-runner.js";

let h: Harness;
let app: OpenAPIHono<AppEnv>;
const edgeCalls: Array<ShadowConfig | null> = [];
let edgeDown = false;
const shadowPublisher: ShadowPublisher = {
  async set(config) {
    if (edgeDown) throw new PublishError("stopping the shadow at http://edge failed after 3 attempt(s): ECONNREFUSED");
    edgeCalls.push(config);
  },
};

beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
  const models = recordingPublisher();
  const runner = createTrainingRunner({ db: h.database.db, trainer: scriptedTrainer().trainer, publisher: models });
  app = createBackendApp({
    database: h.database,
    featureStore: h.featureStore,
    logger: silentLogger,
    config: { backendToken: BACKEND_TOKEN, corsOrigins: [], isProduction: false },
    training: { runner, publisher: models },
    experiments: { publisher: recordingExperimentPublisher(), attributionWindowHours: 24 },
    shadows: { publisher: shadowPublisher },
  });
});
afterAll(() => h?.close());

const MODELS = "/api/v1/recs/models";
const HOUR = 3_600_000;
const admin = () => bearer(h.keys.admin);
const post = (path: string, body: unknown = {}) => app.request(path, jsonRequest("POST", body, admin()));
const get = (path: string) => app.request(path, { headers: admin() });

const publishedVersion = (version: string) => publishVersion(h.database.db, version);

async function ingest(batch: Record<string, unknown[]>): Promise<void> {
  const response = await app.request("/internal/v1/ingest", jsonRequest("POST", batch, bearer(BACKEND_TOKEN)));
  expect(response.status, await response.clone().text()).toBe(200);
}

describe("shadow rollouts", () => {
  it("refuses without a champion, for unknown versions and for the champion itself", async () => {
    await publishedVersion("shadow-champ");
    await publishedVersion("shadow-new");
    const none = await post(`${MODELS}/shadow-new/shadow`);
    expect(none.status).toBe(409);
    expect((await json(none)).error.message).toMatch(/no champion/);
    await promote(h.database.db, "shadow-champ", "test");
    expect((await post(`${MODELS}/nope/shadow`)).status).toBe(404);
    expect((await post(`${MODELS}/shadow-champ/shadow`)).status).toBe(409);
    const bad = await post(`${MODELS}/shadow-new/shadow`, { sample_percent: 101 });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe("sample_percent");
    expect(edgeCalls).toEqual([]);
  });

  it("changes nothing when the edge does not take it", async () => {
    edgeDown = true;
    const res = await post(`${MODELS}/shadow-new/shadow`, { sample_percent: 20 });
    edgeDown = false;
    expect(res.status).toBe(503);
    expect((await get(`${MODELS}/shadow-new/shadow`)).status).toBe(404);
  });

  it("starts at the edge, one at a time, audited", async () => {
    const res = await post(`${MODELS}/shadow-new/shadow`, { sample_percent: 20 });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({ version: "shadow-new", champion_version: "shadow-champ", sample_percent: 20, status: "running" });
    expect(edgeCalls).toEqual([{ version: "shadow-new", sample_percent: 20 }]);
    await publishedVersion("shadow-other");
    expect((await post(`${MODELS}/shadow-other/shadow`)).status).toBe(409);
    const events = (await json(await get(`${MODELS}/shadow-new`))).events as Array<{ action: string }>;
    expect(events.map((e) => e.action)).toContain("shadow_started");
  });

  it("compares the shadow's lists with the served ones, request by request", async () => {
    const t0 = Date.now();
    const served: unknown[] = [];
    const shadow: unknown[] = [];
    const feedback: unknown[] = [];
    const events: unknown[] = [];
    // 100 requests. Served lists s0..s9; the shadow shares its first 5 items and has 5 of its own (overlap 0.5).
    for (let r = 0; r < 100; r++) {
      const request = `sh-r${r}`;
      const user = `sh-u${r}`;
      const ts = t0 + r * 1000;
      const servedItems = Array.from({ length: 10 }, (_, k) => `s${k}`);
      const shadowItems = [...servedItems.slice(0, 5), ...Array.from({ length: 5 }, (_, k) => `h${k}`)];
      served.push({
        request_id: request,
        user_id: user,
        model_version: "shadow-champ",
        context: null,
        items: servedItems,
        degraded: [],
        ts,
        latency_ms: r < 50 ? 10 : 20,
      });
      shadow.push({ request_id: request, user_id: user, model_version: "shadow-new", items: shadowItems, latency_ms: 30, ts: ts + 5 });
      // r < 30: a click on s8 (served only); 30 ≤ r < 50: a purchase of h2 (shadow only) an hour later;
      // 50 ≤ r < 60: a purchase of h2 two days later (outside the 24 h window): no outcome.
      if (r < 30) feedback.push({ feedback_id: `sh-f${r}`, request_id: request, user_id: user, item_id: "s8", type: "click", ts: ts + 1000 });
      else if (r < 50) events.push(purchase(`sh-e${r}`, user, "h2", ts + HOUR));
      else if (r < 60) events.push(purchase(`sh-e${r}`, user, "h2", ts + 48 * HOUR));
    }
    // A shadow list whose served list never arrived is not compared.
    shadow.push({ request_id: "sh-orphan", user_id: "sh-x", model_version: "shadow-new", items: ["h1"], latency_ms: 1, ts: t0 });
    await ingest({ served, shadow, feedback, events });

    const res = await get(`${MODELS}/shadow-new/shadow`);
    expect(res.status).toBe(200);
    const { comparison } = await json(res);
    expect(comparison).toEqual({
      requests: 100,
      k: 10,
      mean_overlap_at_k: 0.5,
      requests_with_outcomes: 50,
      served_hit_rate: 0.6, // 30 of 50
      shadow_hit_rate: 0.4, // 20 of 50
      shadow_only_hits: 20,
      served_only_hits: 30,
      served_latency_p95_ms: 20,
      shadow_latency_p95_ms: 30,
    });
  });

  it("stops at the edge, audited; the readout stays", async () => {
    const res = await post(`${MODELS}/shadow-new/shadow/stop`);
    expect(res.status).toBe(200);
    expect((await json(res)).status).toBe("stopped");
    expect(edgeCalls.at(-1)).toBeNull();
    expect((await post(`${MODELS}/shadow-new/shadow/stop`)).status).toBe(404);
    const readout = await json(await get(`${MODELS}/shadow-new/shadow`));
    expect(readout.shadow.status).toBe("stopped");
    expect(readout.comparison.requests).toBe(100);
    const events = (await json(await get(`${MODELS}/shadow-new`))).events as Array<{ action: string }>;
    expect(events.map((e) => e.action)).toContain("shadow_stopped");
    const audit = (await json(await get("/api/v1/audit?limit=50"))).entries as Array<{ action: string; target: string }>;
    expect(audit.filter((e) => e.target === "shadow-new").map((e) => e.action)).toEqual(["shadow.stop", "shadow.start"]);
  });
});

function purchase(eventId: string, user: string, item: string, ts: number) {
  return { event_id: eventId, user_id: user, session_id: null, item_id: item, type: "purchase", value: null, ts, context: null };
}
