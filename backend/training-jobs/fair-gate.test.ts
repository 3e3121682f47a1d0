/**
 * The gates compare like with like: a retrain on a superset of the data is judged
 * against the champion's recipe re-fitted and scored on the retrain's own split, not
 * against the figure the champion once scored on its own, different window.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { timestampToMs, type StoredEvent } from "../../models/events.js";
import { DEV_USER_ID_HASH_KEY } from "../../models/user-hash.js";
import { upsertItems } from "../catalog/catalog-repository.js";
import { createDatabase, type Database } from "../db/client.js";
import { migrateDatabase } from "../db/migrate.js";
import { modelVersions } from "../db/schema.js";
import { generateDemoData } from "../demo/generate-demo-data.js";
import { ingestBatch } from "../ingest/ingest-batch.js";
import { getVersion } from "../registry/model-registry.js";
import { DEFAULT_PIPELINE } from "../training/pipeline.js";
import { createPipelineTrainer } from "../training/train-candidate.js";
import { recordingPublisher } from "../test-support/training-stand-ins.js";
import { createTrainingRunner, type TrainingRunner } from "./job-runner.js";
import { getJob } from "./job-store.js";

let database: Database;
let runner: TrainingRunner;
let stored: StoredEvent[];

async function store(events: readonly StoredEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    await ingestBatch(database.db, { events: events.slice(i, i + 1000), feedback: [], served: [], shadow: [], rejected: [] }, DEV_USER_ID_HASH_KEY);
  }
}

async function train() {
  const { job } = await runner.enqueue({ modelType: "pipeline", trigger: "api", window: {} });
  await runner.idle();
  return (await getJob(database.db, job.id))!;
}

beforeAll(async () => {
  database = await createDatabase({ url: "memory://" });
  await migrateDatabase(database);
  const demo = generateDemoData(7, { users: 150 });
  await upsertItems(database.db, demo.items);
  stored = demo.events
    .map((e, n) => ({
      event_id: `fair-${n}`,
      user_id: e.user_id,
      session_id: null,
      item_id: e.item_id,
      type: e.type,
      value: null,
      ts: timestampToMs(e.ts!),
      context: null,
      received_at: Date.now(),
    }))
    .sort((a, b) => a.ts - b.ts);
  let second = 0;
  const trainer = createPipelineTrainer(database.db, {
    sameThread: true,
    params: { ...DEFAULT_PIPELINE, factorGrid: [16] },
    now: () => new Date(Date.UTC(2026, 11, 7, 0, 0, second++)),
  });
  runner = createTrainingRunner({ db: database.db, trainer, publisher: recordingPublisher(), progressIntervalMs: 50 });
  await runner.start();
}, 60_000);

afterAll(async () => {
  await runner?.stop();
  await database?.close();
});

describe("gates on a retrain with more data", () => {
  it("judge the candidate against the champion's recipe re-scored on the same split, not the champion's stored figure", async () => {
    await store(stored.slice(0, Math.floor(stored.length * 0.6)));
    const first = await train();
    expect(first.message).toMatch(/promoted to champion$/);
    // A figure from another window that no model on this data reaches.
    const champion = (await getVersion(database.db, first.version!))!;
    await database.db
      .update(modelVersions)
      .set({ metrics: champion.metrics.map((r) => ({ ...r, ndcg: 0.99, recall: 0.99 })) })
      .where(eq(modelVersions.version, champion.version));

    await store(stored.slice(Math.floor(stored.length * 0.6)));
    const second = await train();
    expect(second.status).toBe("succeeded");
    expect(second.message).toBe(`${second.version} promoted to champion, replacing ${first.version}`);
    const gate = (await getVersion(database.db, second.version!))!.gate!;
    expect(gate.passed).toBe(true);
    const vsChampion = gate.reasons.filter((r) => r.includes(`the champion ${first.version}`));
    expect(vsChampion).toHaveLength(2);
    for (const reason of vsChampion) {
      expect(reason).toContain("its recipe re-scored on this split");
      expect(reason).not.toContain("0.9900");
    }
  }, 240_000);
});
