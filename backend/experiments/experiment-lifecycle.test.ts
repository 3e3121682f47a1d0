/**
 * The start-up publication of the running set, including the race it must survive: a
 * start committed (and published) while the start-up publication waited for the edge.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExperimentSet } from "../../models/experiments/experiment.js";
import type { Database } from "../db/client.js";
import { createMigratedTestDatabase, type TestDatabase } from "../test-support/postgres.js";
import { recordingExperimentPublisher } from "../test-support/experiment-stand-ins.js";
import { createExperiment, experimentId, publishRunningSet, startExperiment } from "./experiment-lifecycle.js";
import type { ExperimentSetPublisher } from "./experiment-publisher.js";
import { listExperimentEvents } from "./experiment-store.js";

let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  ({ testDb, database } = await createMigratedTestDatabase());
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const draft = (name: string, share: number) => ({
  name,
  traffic_share: share,
  variants: [
    { key: "A", weight: 50 },
    { key: "B", weight: 50 },
  ],
  primary_metric: "ctr" as const,
  control: "A",
});

describe("publishRunningSet", () => {
  it("publishes the running set and records it on each running experiment", async () => {
    const publisher = recordingExperimentPublisher();
    const deps = { db: database.db, publisher };
    const a = await createExperiment(deps, draft("Startup A", 0.2), "test");
    await startExperiment(deps, a.id, "test");
    publisher.sets.length = 0;

    const result = await publishRunningSet(deps, "backend:startup");
    expect(result).toEqual({ experiments: [a.id], attempts: 1 });
    expect(publisher.sets.map((s) => s.experiments.map((e) => e.id))).toEqual([[a.id]]);
    const last = (await listExperimentEvents(database.db, a.id)).at(-1)!;
    expect(last).toMatchObject({ action: "published", actor: "backend:startup", detail: { experiments: [a.id], trigger: "startup" } });
  });

  it("publishes again when a change landed while it waited for the edge", async () => {
    const inner = recordingExperimentPublisher();
    const deps = { db: database.db, publisher: inner };
    const b = await createExperiment(deps, draft("Startup B", 0.2), "test");
    let raced = false;
    // The first (start-up) publication is slow: meanwhile B is started, which publishes its own set.
    const slow: ExperimentSetPublisher = {
      async publish(set: ExperimentSet) {
        if (!raced) {
          raced = true;
          await startExperiment({ db: database.db, publisher: inner }, b.id, "operator");
        }
        return inner.publish(set);
      },
    };
    const before = inner.sets.length;
    const result = await publishRunningSet({ db: database.db, publisher: slow }, "backend:startup");
    const ids = inner.sets.slice(before).map((s) => s.experiments.map((e) => e.id).sort());
    // B's own publication, then the stale start-up set (without B), then the start-up set again, with B.
    expect(ids).toHaveLength(3);
    expect(ids[1]).not.toContain(b.id);
    expect(ids[2]).toContain(b.id);
    expect(result.experiments).toContain(b.id);
  });
});

describe("experimentId", () => {
  it("slugs the name and keeps to the experiment id pattern", () => {
    expect(experimentId("Ranker v2 — home page!")).toMatch(/^ranker-v2-home-page-[0-9a-f]{6}$/);
    expect(experimentId("日本語")).toMatch(/^experiment-[0-9a-f]{6}$/);
    expect(experimentId("x".repeat(300))).toMatch(/^x{48}-[0-9a-f]{6}$/);
  });
});
