/**
 * startBackend with a trainer and a publisher, on embedded PGlite (what `npm start` runs
 * by default), so the registry's SQL — advisory locks, SKIP LOCKED, partial unique
 * indexes — is exercised on that driver as well as on the PostgreSQL server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { silentLogger } from "./logger.js";
import { startBackend, type RunningBackend } from "./server.js";
import { UNREACHABLE_URL } from "./test-support/backend-harness.js";
import { loadTrainingData } from "./training-jobs/training-data.js";
import { recordingPublisher, scriptedTrainer, type RecordingPublisher } from "./test-support/training-stand-ins.js";

const ADMIN_KEY = "rk_local_training_test_admin";
let backend: RunningBackend;
let publisher: RecordingPublisher;
const script = scriptedTrainer();
/** What each training read from the backend's own database (PGlite here). */
const read: Array<{ interactions: number; catalog: number }> = [];

beforeAll(async () => {
  publisher = recordingPublisher();
  script.next({ version: "boot-1", ndcg: 0.2, recall: 0.2 });
  const config = loadConfig({
    PORT: "0",
    DATABASE_URL: "memory://",
    UPSTASH_REDIS_REST_URL: UNREACHABLE_URL,
    RECS_LOCAL_ADMIN_KEY: ADMIN_KEY,
    TRAIN_INTERVAL_HOURS: "0",
  });
  expect(config.trainOnStart).toBe(true);
  backend = await startBackend(config, {
    logger: silentLogger,
    publishKeys: false,
    resyncOnStart: false,
    // The function form: the trainer reads the backend's database, as the real one does.
    training: (database) => ({
      trainer: async (req, progress, signal) => {
        const data = await loadTrainingData(database.db, req.window, { signal });
        read.push({ interactions: data.interactions.length, catalog: data.catalog.length });
        return script.trainer(req, progress, signal);
      },
      publisher,
    }),
  });
});

afterAll(async () => {
  await backend?.close();
});

const call = async (path: string, method = "GET", body?: unknown) => {
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_KEY}` };
  if (method !== "GET") headers["content-type"] = "application/json";
  const response = await fetch(`${backend.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe("startBackend with training", () => {
  it("trains at start-up when there is no champion, and promotes the result", async () => {
    await backend.training!.idle();
    const jobs = (await call("/api/v1/recs/train")).body.jobs as Array<Record<string, unknown>>;
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ trigger: "startup", status: "succeeded", version: "boot-1" });
    expect((await call("/api/v1/recs/models")).body.champion).toBe("boot-1");
    expect(publisher.activated).toEqual(["boot-1"]);
    expect(read).toEqual([{ interactions: 0, catalog: 0 }]);
    const audit = (await call("/api/v1/audit?action=training.request")).body.entries as Array<Record<string, unknown>>;
    expect(audit).toMatchObject([{ actor: "scheduler", target: jobs[0]!.training_id, detail: { model_type: "pipeline", trigger: "startup" } }]);
  });

  it("serves the training API: a better model replaces the champion, rollback restores it", async () => {
    expect((await call("/api/v1/catalog/items", "POST", { items: [{ item_id: "i1", title: "One" }] })).status).toBe(200);
    script.next({ version: "next-1", ndcg: 0.3, recall: 0.3 });
    const queued = await call("/api/v1/recs/train", "POST", { model_type: "pipeline" });
    expect(queued.status).toBe(202);
    await backend.training!.idle();
    expect((await call(`/api/v1/recs/train/${String(queued.body.training_id)}`)).body).toMatchObject({ status: "succeeded", version: "next-1" });
    expect((await call("/api/v1/recs/models")).body.champion).toBe("next-1");

    const rolledBack = await call("/api/v1/recs/models/rollback", "POST");
    expect(rolledBack).toEqual({ status: 200, body: { version: "boot-1", status: "champion", rolled_back: "next-1" } });
    expect((await call("/api/v1/recs/models/next-1/promote", "POST")).body).toEqual({ version: "next-1", status: "champion", previous: "boot-1" });
    expect(publisher.activated).toEqual(["boot-1", "next-1", "boot-1", "next-1"]);
    expect(read.at(-1)).toEqual({ interactions: 0, catalog: 1 });
  });
});
