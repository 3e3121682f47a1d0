import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/client.js";
import { trainingJobs } from "../db/schema.js";
import { currentChampion, getVersion, listEvents } from "../registry/model-registry.js";
import { createMigratedTestDatabase, type TestDatabase } from "../test-support/postgres.js";
import {
  deferred,
  makeCandidate,
  recordingPublisher,
  scriptedTrainer,
  type RecordingPublisher,
  type ScriptedTrainer,
} from "../test-support/training-stand-ins.js";
import { getJob, insertJob, type TrainingJobRow } from "./job-store.js";
import { createTrainingRunner, type TrainingRunner } from "./job-runner.js";

let testDb: TestDatabase;
let database: Database;
let script: ScriptedTrainer;
let publisher: RecordingPublisher;
let runner: TrainingRunner;

beforeAll(async () => {
  ({ testDb, database } = await createMigratedTestDatabase());
  script = scriptedTrainer();
  publisher = recordingPublisher();
  runner = createTrainingRunner({ db: database.db, trainer: script.trainer, publisher, progressIntervalMs: 20 });
  await runner.start();
});

afterEach(() => {
  publisher.failPublish = false;
  publisher.failActivate = false;
});

afterAll(async () => {
  await runner?.stop();
  await database?.close();
  await testDb?.drop();
});

async function train(window: { from?: string; to?: string } = {}): Promise<TrainingJobRow> {
  const { job } = await runner.enqueue({ modelType: "pipeline", trigger: "api", window });
  await runner.idle();
  return (await getJob(database.db, job.id))!;
}

const champion = async () => (await currentChampion(database.db))?.version ?? null;

describe("training job runner", () => {
  it("promotes the first model: registry, gates, publish, activate", async () => {
    script.next({ version: "v1", ndcg: 0.3, recall: 0.25 });
    const job = await train({ from: "2026-01-01T00:00:00.000Z" });
    expect(script.calls.at(-1)).toEqual({ modelType: "pipeline", window: { from: "2026-01-01T00:00:00.000Z" } });
    expect(job).toMatchObject({ status: "succeeded", progress: 1, version: "v1", error: null, message: "v1 promoted to champion" });
    expect(job.metrics?.map((r) => r.ndcg)).toEqual([0.3, 0.3]);
    expect(job.startedAt!.getTime()).toBeLessThanOrEqual(job.finishedAt!.getTime());

    const v1 = await getVersion(database.db, "v1");
    expect(v1).toMatchObject({ status: "champion", parentVersion: null, trainingId: job.id, gate: { passed: true } });
    expect(v1?.artifacts).toEqual([{ name: "items.json", role: "items", sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: expect.any(Number) }]);
    expect(v1?.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(v1?.publishedAt).not.toBeNull();
    expect(v1?.promotedAt).not.toBeNull();
    expect(publisher.published).toEqual(["v1"]);
    expect(publisher.activated).toEqual(["v1"]);
    expect((await listEvents(database.db, "v1")).map((e) => e.action)).toEqual(["trained", "published", "promoted"]);
  });

  it("rejects a worse model with reasons and never publishes it", async () => {
    script.next({ version: "v2", ndcg: 0.25, recall: 0.25 });
    const job = await train();
    expect(job.status).toBe("succeeded");
    expect(job.message).toMatch(/^v2 rejected by the gates: NDCG@10 \(warm users\) 0\.2500 is more than 2% below the champion v1/);
    const v2 = await getVersion(database.db, "v2");
    expect(v2).toMatchObject({ status: "rejected", parentVersion: "v1", publishedAt: null, promotedAt: null });
    expect(v2?.gate).toEqual({
      passed: false,
      reasons: ["NDCG@10 (warm users) 0.2500 is more than 2% below the champion v1 (0.3000); at least 0.2940 is needed"],
    });
    expect(publisher.published).toEqual(["v1"]);
    expect(publisher.activated).toEqual(["v1"]);
    expect(await champion()).toBe("v1");
    const events = await listEvents(database.db, "v2");
    expect(events.map((e) => [e.action, e.detail])).toEqual([
      ["trained", { training_id: job.id, parent_version: "v1" }],
      ["rejected", { reasons: v2?.gate?.reasons }],
    ]);
  });

  it("promotes a better model and retires the old champion", async () => {
    script.next({ version: "v3", ndcg: 0.31, recall: 0.26 });
    const job = await train();
    expect(job).toMatchObject({ status: "succeeded", version: "v3", message: "v3 promoted to champion, replacing v1" });
    expect(await champion()).toBe("v3");
    expect((await getVersion(database.db, "v1"))?.status).toBe("retired");
    expect((await getVersion(database.db, "v3"))?.parentVersion).toBe("v1");
    expect(publisher.published).toEqual(["v1", "v3"]);
    expect(publisher.activated).toEqual(["v1", "v3"]);
  });

  it("runs one training at a time: the second starts after the first finished", async () => {
    let running = 0;
    let most = 0;
    const slow = (version: string) => async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 150));
      running -= 1;
      return makeCandidate({ version, ndcg: 0.2, recall: 0.2 });
    };
    script.next(slow("seq-1"));
    script.next(slow("seq-2"));
    const first = await runner.enqueue({ modelType: "pipeline", trigger: "api", window: {} });
    const second = await runner.enqueue({ modelType: "pipeline", trigger: "schedule", window: {} });
    expect(first.position).toBe(0);
    expect(second.position).toBe(1); // the first is running (or about to) ahead of it
    await runner.idle();
    const [a, b] = (await Promise.all([getJob(database.db, first.job.id), getJob(database.db, second.job.id)])).sort(
      (x, y) => x!.startedAt!.getTime() - y!.startedAt!.getTime(),
    );
    expect(most).toBe(1);
    expect(a!.status).toBe("succeeded");
    expect(b!.status).toBe("succeeded");
    expect(b!.startedAt!.getTime()).toBeGreaterThanOrEqual(a!.finishedAt!.getTime());
  });

  it("records progress and message while the trainer runs", async () => {
    const hold = deferred();
    const reported = deferred();
    script.next(async (req, progress) => {
      for (let i = 0; i <= 100; i++) progress(0.3 + i / 1000, `iteration ${i} of 100`);
      reported.resolve();
      await hold.promise;
      return makeCandidate({ version: "prog-1", ndcg: 0.1, recall: 0.1 }, req);
    });
    const { job } = await runner.enqueue({ modelType: "pipeline", trigger: "api", window: {} });
    await reported.promise;
    await new Promise((r) => setTimeout(r, 80)); // past the 20 ms throttle
    expect(await getJob(database.db, job.id)).toMatchObject({ status: "running", message: "iteration 100 of 100" });
    expect((await getJob(database.db, job.id))!.progress).toBeCloseTo(0.4, 5);
    hold.resolve();
    await runner.idle();
    expect((await getJob(database.db, job.id))!.status).toBe("succeeded");
  });

  it("fails the job with the trainer's error", async () => {
    script.next(async () => {
      throw new Error("not enough interactions in the window (3)");
    });
    const job = await train();
    expect(job).toMatchObject({ status: "failed", error: "not enough interactions in the window (3)", version: null, message: "failed" });
    expect(job.finishedAt).not.toBeNull();
  });

  it("fails the job and does not record a candidate whose artifacts do not match its manifest", async () => {
    script.next(async (req) => {
      const c = await makeCandidate({ version: "bad-sha", ndcg: 0.5, recall: 0.5 }, req);
      return { ...c, artifacts: c.artifacts.map((a) => ({ ...a, bytes: new Uint8Array([1, 2, 3]) })) };
    });
    const job = await train();
    expect(job.status).toBe("failed");
    expect(job.error).toContain('artifact "items.json" does not match its sha256');
    expect(job.version).toBe("bad-sha");
    expect(await getVersion(database.db, "bad-sha")).toBeNull();
  });

  it("marks a version failed when the upload fails, and leaves it promotable when only activation fails", async () => {
    publisher.failPublish = true;
    script.next({ version: "up-1", ndcg: 0.4, recall: 0.4 });
    const upload = await train();
    expect(upload).toMatchObject({ status: "failed", version: "up-1" });
    expect(upload.error).toContain("publishing up-1 failed: R2 unavailable (test)");
    expect((await getVersion(database.db, "up-1"))?.status).toBe("failed");

    publisher.failPublish = false;
    publisher.failActivate = true;
    script.next({ version: "act-1", ndcg: 0.4, recall: 0.4 });
    const activation = await train();
    expect(activation.status).toBe("failed");
    expect(activation.error).toContain("act-1 was published but not activated at the edge");
    expect(await getVersion(database.db, "act-1")).toMatchObject({ status: "candidate", publishedAt: expect.any(Date) });
    expect(await champion()).toBe("v3");
  });

  it("at start-up fails a job a dead process left running, then runs the queued ones", async () => {
    const [orphan] = await database.db
      .insert(trainingJobs)
      .values({ modelType: "pipeline", trigger: "api", window: {}, status: "running", startedAt: new Date() })
      .returning();
    const waiting = await insertJob(database.db, { modelType: "retrieval", trigger: "schedule", window: {} });
    const restartedScript = scriptedTrainer();
    restartedScript.next({ version: "after-restart", ndcg: 0.1, recall: 0.1 });
    const restarted = createTrainingRunner({ db: database.db, trainer: restartedScript.trainer, publisher });
    await restarted.start();
    await restarted.idle();
    await restarted.stop();
    expect(await getJob(database.db, orphan!.id)).toMatchObject({ status: "failed", error: "interrupted by restart" });
    expect(await getJob(database.db, waiting.id)).toMatchObject({ status: "succeeded", version: "after-restart" });
    expect(restartedScript.calls).toEqual([{ modelType: "retrieval", window: {} }]);
  });

  it("aborts the running trainer on stop()", async () => {
    const stopping = createTrainingRunner({ db: database.db, trainer: (_req, _p, signal) => abortable(signal), publisher });
    await stopping.start();
    const { job } = await stopping.enqueue({ modelType: "pipeline", trigger: "api", window: {} });
    await new Promise((r) => setTimeout(r, 50));
    await stopping.stop();
    expect(await getJob(database.db, job.id)).toMatchObject({ status: "failed", error: "stopped: the backend is shutting down" });
  });
});

function abortable(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error)));
}
