import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackendApp } from "../app.js";
import type { AppEnv } from "../http/app-env.js";
import { silentLogger } from "../logger.js";
import { insertCandidate } from "../registry/model-registry.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";
import { metricsRows, recordingPublisher, scriptedTrainer, type RecordingPublisher, type ScriptedTrainer } from "../test-support/training-stand-ins.js";
import { createTrainingRunner, type TrainingRunner } from "../training-jobs/job-runner.js";

let h: Harness;
let app: OpenAPIHono<AppEnv>;
let script: ScriptedTrainer;
let publisher: RecordingPublisher;
let runner: TrainingRunner;

beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
  script = scriptedTrainer();
  publisher = recordingPublisher();
  // Not started until the queue tests have looked at queued jobs.
  runner = createTrainingRunner({ db: h.database.db, trainer: script.trainer, publisher });
  app = createBackendApp({
    database: h.database,
    featureStore: h.featureStore,
    logger: silentLogger,
    config: { backendToken: BACKEND_TOKEN, corsOrigins: [], isProduction: false },
    training: { runner, publisher },
  });
});

afterAll(async () => {
  await runner?.stop();
  await h?.close();
});

const admin = () => bearer(h.keys.admin);
const request = (path: string, init?: RequestInit) => app.request(path, init);
const post = (path: string, body: unknown = {}, headers = admin()) => request(path, jsonRequest("POST", body, headers));
const get = (path: string, headers = admin()) => request(path, { headers });

async function champion(): Promise<string | null> {
  return (await json(await get("/api/v1/recs/models"))).champion;
}

describe("POST /api/v1/recs/train", () => {
  it("queues jobs with their position and serves their status", async () => {
    const first = await post("/api/v1/recs/train", { model_type: "retrieval", from: "2026-01-01", to: "2026-01-31" });
    expect(first.status).toBe(202);
    const a = await json(first);
    expect(a).toEqual({ training_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: "queued", position: 0 });
    const b = await json(await post("/api/v1/recs/train", {}));
    expect(b.position).toBe(1);

    const status = await get(`/api/v1/recs/train/${a.training_id}`);
    expect(status.status).toBe(200);
    expect(await json(status)).toMatchObject({
      training_id: a.training_id,
      status: "queued",
      model_type: "retrieval",
      trigger: "api",
      // A bare `to` date covers that whole day: the window ends at the next midnight.
      window: { from: "2026-01-01T00:00:00.000Z", to: "2026-02-01T00:00:00.000Z" },
      progress: 0,
      position: 0,
      version: null,
      metrics: null,
      error: null,
      started_at: null,
      finished_at: null,
    });
    const second = await json(await get(`/api/v1/recs/train/${b.training_id}`));
    expect(second).toMatchObject({ model_type: "pipeline", window: { from: null, to: null }, position: 1 });

    const list = await json(await get("/api/v1/recs/train?limit=10"));
    expect(list.jobs.map((j: { training_id: string }) => j.training_id)).toEqual([b.training_id, a.training_id]);
  });

  it("runs the queued jobs: the first model is promoted, a worse one rejected", async () => {
    script.next({ version: "r1", ndcg: 0.3, recall: 0.3 });
    script.next({ version: "r2", ndcg: 0.1, recall: 0.1 });
    await runner.start();
    await runner.idle();
    expect(script.calls).toEqual([
      { modelType: "retrieval", window: { from: "2026-01-01T00:00:00.000Z", to: "2026-02-01T00:00:00.000Z" } },
      { modelType: "pipeline", window: {} },
    ]);
    const jobs = (await json(await get("/api/v1/recs/train"))).jobs;
    expect(jobs.map((j: { status: string; version: string }) => [j.status, j.version])).toEqual([
      ["succeeded", "r2"],
      ["succeeded", "r1"],
    ]);
    expect(jobs[1]).toMatchObject({ progress: 1, position: null, message: "r1 promoted to champion" });
    expect(jobs[1].metrics[0]).toEqual({
      model: "ials",
      group: "warm",
      k: 10,
      users: 100,
      recall: 0.3,
      precision: 0.15,
      ndcg: 0.3,
      map: 0.15,
      hit_rate: 0.5,
      coverage: 0.1,
    });
    expect(await champion()).toBe("r1");
  });

  it("accepts the architecture brief's start_date / end_date as aliases", async () => {
    script.next(async () => {
      throw new Error("no interactions in the training window");
    });
    const response = await post("/api/v1/recs/train", { start_date: "2026-03-01T00:00:00Z", end_date: "2026-03-02T12:00:00+02:00" });
    expect(response.status).toBe(202);
    await runner.idle();
    const job = await json(await get(`/api/v1/recs/train/${(await json(response)).training_id}`));
    expect(job.window).toEqual({ from: "2026-03-01T00:00:00.000Z", to: "2026-03-02T10:00:00.000Z" });
    expect(await json(await get(`/api/v1/recs/train/${job.training_id}`))).toMatchObject({
      status: "failed",
      error: "no interactions in the training window",
    });
  });

  it.each([
    [{ model_type: "deep" }, "model_type"],
    [{ from: "2026-02-01", to: "2026-01-01" }, "from"],
    [{ from: "2026-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }, "from"],
    [{ start_date: "2026-02-01", end_date: "2026-01-01" }, "start_date"],
    [{ from: "yesterday" }, "from"],
    [{ to: "2026-01-01T10:00:00" }, "to"],
    [{ to: "2026-02-30" }, "to"],
    [{ from: 1767225600000 }, "from"],
    [{ from: "2026-01-01", start_date: "2026-01-01" }, "start_date"],
    [{ epochs: 3 }, "epochs"],
    [[], "body"],
  ])("rejects %j naming %s", async (body, field) => {
    const response = await post("/api/v1/recs/train", body);
    expect(response.status).toBe(400);
    const error = (await json(response)).error;
    expect(error).toMatchObject({ code: "invalid_request", field });
    expect(error.message).toContain(field);
  });

  it("needs an admin key", async () => {
    expect((await post("/api/v1/recs/train", {}, {})).status).toBe(401);
    expect((await post("/api/v1/recs/train", {}, bearer(h.keys.client))).status).toBe(403);
    expect((await get("/api/v1/recs/train", bearer(h.keys.reader))).status).toBe(403);
    expect((await get("/api/v1/recs/models", {})).status).toBe(401);
  });
});

describe("GET /api/v1/recs/train/{trainingId}", () => {
  it("404s an unknown id and 400s a malformed one", async () => {
    const missing = await get("/api/v1/recs/train/00000000-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toMatchObject({ code: "not_found", field: "trainingId" });
    const bad = await get("/api/v1/recs/train/not-a-uuid");
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({ field: "trainingId", message: "trainingId: must be a UUID" });
  });

  it("400s a bad limit on the list", async () => {
    expect((await json(await get("/api/v1/recs/train?limit=0"))).error.field).toBe("limit");
  });
});

describe("the model registry API", () => {
  it("lists versions newest first and shows one with its audit trail", async () => {
    const list = await json(await get("/api/v1/recs/models"));
    expect(list.champion).toBe("r1");
    expect(list.models.map((m: { version: string; status: string }) => [m.version, m.status])).toEqual([
      ["r2", "rejected"],
      ["r1", "champion"],
    ]);
    const r2 = await json(await get("/api/v1/recs/models/r2"));
    expect(r2).toMatchObject({
      version: "r2",
      model_type: "pipeline",
      status: "rejected",
      parent_version: "r1",
      published_at: null,
      manifest_sha256: null,
      gate: {
        passed: false,
        reasons: [
          "NDCG@10 (warm users) 0.1000 is more than 2% below the champion r1 (0.3000); at least 0.2940 is needed",
          "Recall@20 (warm users) 0.1000 is more than 2% below the champion r1 (0.3000); at least 0.2940 is needed",
        ],
      },
      artifacts: [{ name: "items.json", role: "items", bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }],
      data_window: { interactions: 10, users: 3, items: 2 },
    });
    expect(r2.baseline_metrics[0].model).toBe("popularity");
    expect(r2.events.map((e: { action: string }) => e.action)).toEqual(["trained", "rejected"]);
    expect(r2.events[0].actor).toMatch(/^training:/);
  });

  it("404s an unknown version and 400s a malformed one", async () => {
    const missing = await get("/api/v1/recs/models/nope");
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.field).toBe("version");
    const bad = await get("/api/v1/recs/models/bad%20version");
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe("version");
  });

  it("promotes a published version: the edge first, then the registry", async () => {
    script.next({ version: "r3", ndcg: 0.35, recall: 0.35 });
    await post("/api/v1/recs/train", {});
    await runner.idle();
    expect(await champion()).toBe("r3");

    const activatedBefore = publisher.activated.length;
    const response = await post("/api/v1/recs/models/r1/promote");
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ version: "r1", status: "champion", previous: "r3" });
    expect(publisher.activated.slice(activatedBefore)).toEqual(["r1"]);
    expect(await champion()).toBe("r1");
    const r1 = await json(await get("/api/v1/recs/models/r1"));
    expect(r1.events.at(-1)).toMatchObject({ action: "promoted", actor: `api-key:${h.prefix}-admin`, detail: { previous: "r3" } });
  });

  it("409s promoting a rejected or never-published version, 404s an unknown one", async () => {
    const rejected = await post("/api/v1/recs/models/r2/promote");
    expect(rejected.status).toBe(409);
    expect((await json(rejected)).error.message).toMatch(/^version "r2" was rejected by the gates/);

    await insertCandidate(
      h.database.db,
      {
        version: "unpublished",
        modelType: "pipeline",
        params: {},
        dataWindow: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-02T00:00:00.000Z", interactions: 1, users: 1, items: 1 },
        metrics: metricsRows("ials", 0.5, 0.5),
        baselineMetrics: metricsRows("popularity", 0.1, 0.1),
        artifacts: [],
        parentVersion: null,
        trainingId: null,
      },
      "test",
    );
    const unpublished = await post("/api/v1/recs/models/unpublished/promote");
    expect(unpublished.status).toBe(409);
    expect((await json(unpublished)).error).toMatchObject({ code: "conflict", message: 'version "unpublished" was never published to the edge' });

    expect((await post("/api/v1/recs/models/nope/promote")).status).toBe(404);
    expect(await champion()).toBe("r1");
  });

  it("answers 503 and changes nothing when the edge cannot activate", async () => {
    publisher.failActivate = true;
    try {
      const response = await post("/api/v1/recs/models/r3/promote");
      expect(response.status).toBe(503);
      expect((await json(response)).error.code).toBe("edge_unavailable");
      expect((await post("/api/v1/recs/models/rollback")).status).toBe(503);
    } finally {
      publisher.failActivate = false;
    }
    expect(await champion()).toBe("r1");
  });

  it("rolls back one promotion at a time, activating the restored version, then 409s", async () => {
    const activatedBefore = publisher.activated.length;
    const first = await post("/api/v1/recs/models/rollback");
    expect(first.status).toBe(200);
    expect(await json(first)).toEqual({ version: "r3", status: "champion", rolled_back: "r1" });
    expect(await champion()).toBe("r3");

    const second = await json(await post("/api/v1/recs/models/rollback"));
    expect(second).toEqual({ version: "r1", status: "champion", rolled_back: "r3" });
    expect(publisher.activated.slice(activatedBefore)).toEqual(["r3", "r1"]);

    const none = await post("/api/v1/recs/models/rollback");
    expect(none.status).toBe(409);
    expect((await json(none)).error).toMatchObject({ code: "conflict", message: "there is no previous champion to roll back to" });
    expect(await champion()).toBe("r1");
  });

  it("needs the models:publish scope to promote or roll back", async () => {
    expect((await post("/api/v1/recs/models/r3/promote", {}, bearer(h.keys.client))).status).toBe(403);
    expect((await post("/api/v1/recs/models/rollback", {}, {})).status).toBe(401);
  });

  it("documents the routes in /openapi.json", async () => {
    const doc = await json(await request("/openapi.json"));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/recs/train",
        "/api/v1/recs/train/{trainingId}",
        "/api/v1/recs/models",
        "/api/v1/recs/models/{version}",
        "/api/v1/recs/models/{version}/promote",
        "/api/v1/recs/models/rollback",
      ]),
    );
  });

  it("is not mounted without a runner", async () => {
    expect((await h.request("/api/v1/recs/models", { headers: admin() })).status).toBe(404);
  });
});
