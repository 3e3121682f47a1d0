/**
 * Canary rollouts on PostgreSQL: started through the API (its experiment published to a
 * recording edge), fed planted served lists and feedback for its two variants through
 * the real ingest endpoint, then evaluated — a worse model rolled back, a better or equal
 * one promoted, a thin sample left running — with both audit trails checked.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServedList, StoredFeedback } from "../../models/events.js";
import { mulberry32 } from "../../models/prng.js";
import { createBackendApp } from "../app.js";
import type { AppEnv } from "../http/app-env.js";
import { silentLogger } from "../logger.js";
import { insertCandidate, promote, rollbackPlan } from "../registry/model-registry.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";
import { recordingExperimentPublisher, type RecordingExperimentPublisher } from "../test-support/experiment-stand-ins.js";
import {
  metricsRows,
  recordingPublisher,
  scriptedTrainer,
  type RecordingPublisher,
  publishedVersion as publishVersion,
} from "../test-support/training-stand-ins.js";
import { createTrainingRunner } from "../training-jobs/job-runner.js";
import { createWebhook, listDeliveries } from "../webhooks/webhook-store.js";

let h: Harness;
let app: OpenAPIHono<AppEnv>;
let models: RecordingPublisher;
let edge: RecordingExperimentPublisher;

beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
  models = recordingPublisher();
  edge = recordingExperimentPublisher();
  // Never started: the canary routes need the training deps only for the model publisher.
  const runner = createTrainingRunner({ db: h.database.db, trainer: scriptedTrainer().trainer, publisher: models });
  app = createBackendApp({
    database: h.database,
    featureStore: h.featureStore,
    logger: silentLogger,
    config: { backendToken: BACKEND_TOKEN, corsOrigins: [], isProduction: false },
    training: { runner, publisher: models },
    experiments: { publisher: edge, attributionWindowHours: 24 },
  });
});
afterAll(() => h?.close());

/** Subscribed before anything happens; no dispatcher runs here, so its deliveries stay queued for the last test to read. */
let hook: { id: string };
beforeAll(async () => {
  hook = await createWebhook(h.database.db, {
    url: "http://127.0.0.1:2/never",
    events: ["model.trained", "model.promoted", "canary.decided", "experiment.stopped"],
    description: null,
    createdBy: "test",
  });
});

const MODELS = "/api/v1/recs/models";
const T0 = Date.UTC(2026, 5, 1, 12);
const admin = () => bearer(h.keys.admin);
const post = (path: string, body: unknown = {}) => app.request(path, jsonRequest("POST", body, admin()));
const get = async (path: string) => json(await app.request(path, { headers: admin() }));

const publishedVersion = (version: string) => publishVersion(h.database.db, version);

const champion = async (): Promise<string | null> => (await get(MODELS)).champion;
const model = (version: string) => get(`${MODELS}/${version}`);
const experiment = (id: string) => get(`/api/v1/recs/experiments/${id}`);
const evaluate = async () => (await json(await post(`${MODELS}/canaries/evaluate`))).evaluated;

async function startCanary(version: string, body: Record<string, unknown> = {}) {
  const response = await post(`${MODELS}/${version}/canary`, body);
  expect(response.status).toBe(201);
  return json(response);
}

async function ingest(served: ServedList[], feedback: StoredFeedback[]): Promise<void> {
  for (let i = 0; i < Math.max(served.length, feedback.length); i += 1000) {
    const batch = { served: served.slice(i, i + 1000), feedback: feedback.slice(i, i + 1000) };
    const response = await app.request("/internal/v1/ingest", jsonRequest("POST", batch, bearer(BACKEND_TOKEN)));
    expect(response.status).toBe(200);
  }
}

/**
 * Users split between the arms by the canary's weight with a seeded PRNG; each sees two
 * lists of five items and clicks each with their arm's probability.
 */
async function plant(experimentId: string, canaryPercent: number, users: number, ctr: { control: number; canary: number }, seed: number) {
  const rng = mulberry32(seed);
  const served: ServedList[] = [];
  const feedback: StoredFeedback[] = [];
  for (let u = 0; u < users; u++) {
    const variant = rng() < canaryPercent / 100 ? "canary" : "control";
    const user = `${experimentId}-u${u}`;
    for (let l = 0; l < 2; l++) {
      const request = `${experimentId}-r${u}-${l}`;
      const ts = T0 + u * 1000 + l * 3_600_000;
      const items = Array.from({ length: 5 }, (_, k) => `item-${(u * 7 + l * 5 + k) % 200}`);
      served.push({
        request_id: request,
        user_id: user,
        model_version: variant,
        context: "home",
        items,
        degraded: [],
        ts,
        experiment: { id: experimentId, variant },
      });
      for (const item of items) {
        if (rng() >= ctr[variant]) continue;
        feedback.push({ feedback_id: `${request}-${item}`, request_id: request, user_id: user, item_id: item, type: "click", ts: ts + 60_000 });
      }
    }
  }
  await ingest(served, feedback);
}

const actions = (events: Array<{ action: string }>) => events.map((e) => e.action);

describe("starting a canary", () => {
  it("refuses without a champion, and unknown versions", async () => {
    await publishedVersion("champ-1");
    await publishedVersion("worse-1");
    const none = await post(`${MODELS}/worse-1/canary`);
    expect(none.status).toBe(409);
    expect((await json(none)).error.message).toMatch(/no champion/);
    expect((await post(`${MODELS}/nope/canary`)).status).toBe(404);
    await promote(h.database.db, "champ-1", "test");
  });

  it("refuses the champion, an unpublished version and a traffic share out of range", async () => {
    const champ = await post(`${MODELS}/champ-1/canary`);
    expect(champ.status).toBe(409);
    expect((await json(champ)).error.message).toMatch(/already the champion/);

    await insertCandidate(h.database.db, { ...(await candidateOf("worse-1")), version: "unpublished-1" }, "test");
    const unpublished = await post(`${MODELS}/unpublished-1/canary`);
    expect(unpublished.status).toBe(409);
    expect((await json(unpublished)).error.message).toMatch(/never published/);

    expect((await post(`${MODELS}/worse-1/canary`, { traffic_percent: 60 })).status).toBe(400);
    expect((await post(`${MODELS}/worse-1/canary`, { min_impressions_per_variant: 10 })).status).toBe(400);
    // Nothing was left behind by the refusals.
    expect((await get("/api/v1/recs/experiments")).experiments).toEqual([]);
  });
});

/** The stored row of a version, as a NewModelVersion to copy from. */
async function candidateOf(version: string) {
  const row = await model(version);
  return {
    version,
    modelType: "pipeline" as const,
    params: {},
    dataWindow: row.data_window,
    metrics: metricsRows("ials", 0.3, 0.2),
    baselineMetrics: metricsRows("popularity", 0.1, 0.1),
    artifacts: [],
    parentVersion: null,
    trainingId: null,
  };
}

describe("a canary with a worse model", () => {
  let canary: { experiment_id: string };

  it("starts as an experiment control (champion) vs canary at the edge, audited in the registry", async () => {
    canary = await startCanary("worse-1", { traffic_percent: 50 });
    expect(canary).toMatchObject({
      version: "worse-1",
      champion_version: "champ-1",
      traffic_percent: 50,
      min_impressions_per_variant: 2000,
      status: "running",
      reason: null,
      decided_at: null,
    });
    expect(canary.experiment_id).toMatch(/^canary-worse-1-[0-9a-f]{6}$/);

    const exp = await experiment(canary.experiment_id);
    expect(exp).toMatchObject({ name: "canary worse-1", status: "running", config: { traffic_share: 1, primary_metric: "ctr", control: "control" } });
    expect(exp.config.variants).toEqual([
      { key: "control", weight: 50, changes: { model_version: "champ-1" } },
      { key: "canary", weight: 50, changes: { model_version: "worse-1" } },
    ]);
    expect(edge.sets.at(-1)!.experiments.map((e) => e.id)).toEqual([canary.experiment_id]);
    expect(actions((await model("worse-1")).events)).toEqual(["trained", "published", "canary_started"]);
  });

  it("refuses a second canary while one runs", async () => {
    await publishedVersion("better-1");
    const second = await post(`${MODELS}/better-1/canary`);
    expect(second.status).toBe(409);
    expect((await json(second)).error.message).toMatch(/a canary of "worse-1" is already running/);
  });

  it("keeps running while there is no data", async () => {
    const [e] = await evaluate();
    expect(e).toMatchObject({ version: "worse-1", outcome: "running", reason: expect.stringMatching(/^not enough data yet/) });
  });

  it("is rolled back when its CTR is 20% lower: rejected, champion unchanged, in both audit trails", async () => {
    await plant(canary.experiment_id, 50, 4000, { control: 0.1, canary: 0.08 }, 20260601);
    const [e] = await evaluate();
    expect(e).toMatchObject({ version: "worse-1", outcome: "rolled_back" });
    expect(e.reason).toMatch(/^control beats canary on CTR by \+\d+\.\d% \(95% CI .*\), sequential p [<=] /);

    expect(await champion()).toBe("champ-1");
    expect(models.activated).toEqual([]);
    const registry = await model("worse-1");
    expect(registry.status).toBe("rejected");
    const rolledBack = registry.events.at(-1);
    expect(rolledBack).toMatchObject({
      action: "canary_rolled_back",
      actor: "canary",
      detail: { experiment_id: canary.experiment_id, champion: "champ-1", reason: e.reason },
    });

    const exp = await experiment(canary.experiment_id);
    expect(exp.status).toBe("stopped");
    expect(actions(exp.events)).toEqual(["created", "started", "published", "stopped", "published", "canary_rolled_back"]);
    expect(exp.events.at(-1).detail.readout.verdict).toBe(e.reason);
    expect(edge.sets.at(-1)!.experiments).toEqual([]);

    const [listed] = (await get(`${MODELS}/canaries`)).canaries;
    expect(listed).toMatchObject({ version: "worse-1", status: "rolled_back", reason: e.reason, decided_at: expect.any(String) });
  }, 60_000);

  it("can no longer be promoted by hand", async () => {
    const response = await post(`${MODELS}/worse-1/promote`);
    expect(response.status).toBe(409);
    expect((await json(response)).error.message).toMatch(/rejected after its canary lost/);
  });
});

describe("a canary with a better model", () => {
  let canary: { experiment_id: string };

  it("waits for the edge to take the version before promoting it", async () => {
    canary = await startCanary("better-1", { traffic_percent: 50 });
    await plant(canary.experiment_id, 50, 4000, { control: 0.1, canary: 0.12 }, 20260602);
    models.failActivate = true;
    const [e] = await evaluate();
    models.failActivate = false;
    expect(e).toMatchObject({ version: "better-1", outcome: "error", reason: expect.stringMatching(/did not activate better-1/) });
    expect(await champion()).toBe("champ-1");
    expect((await experiment(canary.experiment_id)).status).toBe("running");
  }, 60_000);

  it("is promoted when its CTR is 20% higher: champion, activated at the edge, in both audit trails", async () => {
    const [e] = await evaluate();
    expect(e).toMatchObject({ version: "better-1", outcome: "promoted" });
    expect(e.reason).toMatch(/^canary beats control on CTR by \+\d+\.\d% .*; error rate holds \(0\.00% vs 0\.00%\); latency not measured/);

    expect(await champion()).toBe("better-1");
    expect(models.activated).toEqual(["better-1"]);
    expect((await model("champ-1")).status).toBe("retired");
    const promoted = (await model("better-1")).events.at(-1);
    expect(promoted).toMatchObject({ action: "promoted", actor: "canary", detail: { previous: "champ-1", canary_experiment: canary.experiment_id } });
    // An ordinary promotion: a registry rollback would restore the previous champion.
    expect(await rollbackPlan(h.database.db)).toEqual({ from: "better-1", to: "champ-1" });

    const exp = await experiment(canary.experiment_id);
    expect(exp.status).toBe("stopped");
    expect(actions(exp.events).slice(-2)).toEqual(["published", "canary_promoted"]);
  }, 60_000);
});

describe("a canary with an equal model", () => {
  it("is promoted once both arms have the minimum sample", async () => {
    await publishedVersion("equal-1");
    const canary = await startCanary("equal-1", { traffic_percent: 50 });
    expect(canary.champion_version).toBe("better-1");
    await plant(canary.experiment_id, 50, 4000, { control: 0.1, canary: 0.1 }, 11);
    const [e] = await evaluate();
    expect(e).toMatchObject({ version: "equal-1", outcome: "promoted" });
    expect(e.reason).toMatch(/^canary is not worse than control after at least 2000 impressions per variant \(canary vs control on CTR /);
    expect(await champion()).toBe("equal-1");
  }, 60_000);
});

describe("a canary below the minimum sample", () => {
  let canary: { experiment_id: string };

  it("stays running at 5% of traffic", async () => {
    await publishedVersion("small-1");
    canary = await startCanary("small-1");
    expect(canary).toMatchObject({ traffic_percent: 5, min_impressions_per_variant: 2000 });
    expect((await experiment(canary.experiment_id)).config.variants.map((v: { weight: number }) => v.weight)).toEqual([95, 5]);
    await plant(canary.experiment_id, 5, 2000, { control: 0.1, canary: 0.1 }, 5);
    const [e] = await evaluate();
    expect(e).toMatchObject({ version: "small-1", outcome: "running" });
    expect(e.reason).toMatch(/^not enough data yet: 2000 impressions per variant needed to promote \(control has \d+, canary has \d+\)$/);
    expect(await champion()).toBe("equal-1");
  }, 60_000);

  it("ends without a verdict when its experiment is stopped by hand", async () => {
    expect((await post(`/api/v1/recs/experiments/${canary.experiment_id}/stop`)).status).toBe(200);
    const [e] = await evaluate();
    expect(e).toMatchObject({ version: "small-1", outcome: "rolled_back", reason: expect.stringMatching(/stopped outside the canary/) });
    const registry = await model("small-1");
    expect(registry.status).toBe("candidate");
    expect(actions(registry.events).at(-1)).toBe("canary_ended");
    expect(await evaluate()).toEqual([]);
  });

  it("ends without a verdict when the champion changes underneath it", async () => {
    const again = await startCanary("small-1");
    await promote(h.database.db, "champ-1", "test");
    const [e] = await evaluate();
    expect(e).toMatchObject({ version: "small-1", outcome: "rolled_back", reason: expect.stringMatching(/champion changed from equal-1 to champ-1/) });
    expect((await experiment(again.experiment_id)).status).toBe("stopped");
    expect((await model("small-1")).status).toBe("candidate");
    expect(await champion()).toBe("champ-1");
    const statuses = (await get(`${MODELS}/canaries`)).canaries.map((c: { version: string; status: string }) => [c.version, c.status]);
    expect(statuses).toEqual([
      ["small-1", "rolled_back"],
      ["small-1", "rolled_back"],
      ["equal-1", "promoted"],
      ["better-1", "promoted"],
      ["worse-1", "rolled_back"],
    ]);
  });
});

describe("webhook announcements", () => {
  it("queued one canary.decided per decision and one experiment.stopped per stop, in order, beside the registry's events", async () => {
    const rows = (await listDeliveries(h.database.db, hook.id, 500)).reverse();
    const data = (type: string) => rows.filter((r) => r.eventType === type).map((r) => (r.payload as { data: Record<string, unknown> }).data);
    expect(data("canary.decided").map((d) => [d.version, d.outcome])).toEqual([
      ["worse-1", "rolled_back"],
      ["better-1", "promoted"],
      ["equal-1", "promoted"],
      ["small-1", "rolled_back"],
      ["small-1", "rolled_back"],
    ]);
    expect(data("canary.decided")[0]).toMatchObject({ champion_version: "champ-1", reason: expect.stringMatching(/^control beats canary/) });
    // Every canary's experiment stopped once (by the canary, or by hand for the fourth).
    expect(data("experiment.stopped")).toHaveLength(5);
    expect(data("experiment.stopped").map((d) => d.actor)).toEqual(["canary", "canary", "canary", expect.stringMatching(/^api-key:/), "canary"]);
    expect(data("model.promoted").map((d) => d.version)).toEqual(["champ-1", "better-1", "equal-1", "champ-1"]);
    expect(data("model.trained").length).toBeGreaterThanOrEqual(5);
    expect(rows.every((r) => r.status === "pending" && r.attempts === 0)).toBe(true);
  });
});
