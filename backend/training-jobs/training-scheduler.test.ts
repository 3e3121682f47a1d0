import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../db/client.js";
import { modelEvents, modelVersions, trainingJobs } from "../db/schema.js";
import { insertCandidate, markPublished, promote } from "../registry/model-registry.js";
import { createMigratedTestDatabase, type TestDatabase } from "../test-support/postgres.js";
import { metricsRows } from "../test-support/training-stand-ins.js";
import { finishJob, insertJob, listJobs, type NewTrainingJob } from "./job-store.js";
import { createTrainingScheduler } from "./training-scheduler.js";

let testDb: TestDatabase;
let database: Database;
const HOUR = 3_600_000;

beforeAll(async () => {
  ({ testDb, database } = await createMigratedTestDatabase());
});

beforeEach(async () => {
  await database.db.delete(modelEvents);
  await database.db.delete(modelVersions);
  await database.db.delete(trainingJobs);
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

/** Queues into the real table, as the runner's enqueue does, without running anything. */
const runner = {
  enqueue: async (job: NewTrainingJob) => ({ job: await insertJob(database.db, job), position: 0 }),
};

async function triggers(): Promise<string[]> {
  return (await listJobs(database.db, 100)).map((j) => j.trigger);
}

async function finishAll(): Promise<void> {
  for (const job of await listJobs(database.db, 100)) {
    await finishJob(database.db, job.id, { status: "failed", message: "done", error: "test" });
  }
}

describe("training scheduler", () => {
  it("queues a start-up training when there is no champion, once", async () => {
    const scheduler = createTrainingScheduler({ db: database.db, runner, intervalHours: 0, onStart: true });
    await scheduler.start();
    await createTrainingScheduler({ db: database.db, runner, intervalHours: 0, onStart: true }).start(); // still queued: no second
    scheduler.stop();
    expect(await triggers()).toEqual(["startup"]);
    expect((await listJobs(database.db, 1))[0]).toMatchObject({ modelType: "pipeline", window: {} });
  });

  it("does not queue a start-up training when a champion exists or TRAIN_ON_START is off", async () => {
    await createTrainingScheduler({ db: database.db, runner, intervalHours: 0, onStart: false }).start();
    expect(await triggers()).toEqual([]);

    await insertCandidate(
      database.db,
      {
        version: "champ",
        modelType: "pipeline",
        params: {},
        dataWindow: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-02T00:00:00.000Z", interactions: 1, users: 1, items: 1 },
        metrics: metricsRows("ials", 0.3, 0.3),
        baselineMetrics: metricsRows("popularity", 0.1, 0.1),
        artifacts: [],
        parentVersion: null,
        trainingId: null,
      },
      "test",
    );
    await markPublished(database.db, "champ", "b".repeat(64), "test");
    await promote(database.db, "champ", "test");
    await createTrainingScheduler({ db: database.db, runner, intervalHours: 0, onStart: true }).start();
    expect(await triggers()).toEqual([]);
  });

  it("queues a scheduled training once the newest job is an interval old, and not while one is active", async () => {
    let now = Date.now();
    const scheduler = createTrainingScheduler({ db: database.db, runner, intervalHours: 24, onStart: false, now: () => now });
    expect(await scheduler.tick()).toBe(false); // no job yet: the clock starts with the scheduler
    now += 23 * HOUR;
    expect(await scheduler.tick()).toBe(false);
    now += 1 * HOUR;
    expect(await scheduler.tick()).toBe(true);
    now += 48 * HOUR;
    expect(await scheduler.tick()).toBe(false); // the scheduled job is still queued
    await finishAll();
    expect(await scheduler.tick()).toBe(true); // finished, and created 72 h before `now`
    await finishAll();
    now = Date.now() + 23 * HOUR;
    expect(await scheduler.tick()).toBe(false); // the newest job is 23 h old
    expect(await triggers()).toEqual(["schedule", "schedule"]);
  });

  it("counts any job, including a manual one, as the last training", async () => {
    const manual = await insertJob(database.db, { modelType: "retrieval", trigger: "api", window: {} });
    await finishJob(database.db, manual.id, { status: "failed", message: "done", error: "test" });
    const scheduler = createTrainingScheduler({
      db: database.db,
      runner,
      intervalHours: 1,
      onStart: false,
      now: () => manual.createdAt.getTime() + 0.5 * HOUR,
    });
    expect(await scheduler.tick()).toBe(false);
  });

  it("never schedules with an interval of 0", async () => {
    let now = Date.now();
    const scheduler = createTrainingScheduler({ db: database.db, runner, intervalHours: 0, onStart: false, now: () => now });
    now += 10_000 * HOUR;
    expect(await scheduler.tick()).toBe(false);
  });
});
