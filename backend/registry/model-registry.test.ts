import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/client.js";
import { metricsRows } from "../test-support/training-stand-ins.js";
import { createMigratedTestDatabase, type TestDatabase } from "../test-support/postgres.js";
import {
  currentChampion,
  getVersion,
  insertCandidate,
  listEvents,
  listVersions,
  markPublished,
  promote,
  RegistryError,
  rejectVersion,
  rollback,
  rollbackPlan,
} from "./model-registry.js";

let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  ({ testDb, database } = await createMigratedTestDatabase());
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const SHA = "a".repeat(64);

async function candidate(version: string): Promise<void> {
  await insertCandidate(
    database.db,
    {
      version,
      modelType: "pipeline",
      params: {},
      dataWindow: { from: "2026-01-01T00:00:00.000Z", to: "2026-02-01T00:00:00.000Z", interactions: 1, users: 1, items: 1 },
      metrics: metricsRows("ials", 0.3, 0.2),
      baselineMetrics: metricsRows("popularity", 0.1, 0.1),
      artifacts: [{ name: "items.json", role: "items", sha256: SHA, bytes: 10 }],
      parentVersion: null,
      trainingId: null,
    },
    "test",
  );
}

async function published(version: string): Promise<void> {
  await candidate(version);
  await markPublished(database.db, version, SHA, "test");
}

async function champion(): Promise<string | null> {
  return (await currentChampion(database.db))?.version ?? null;
}

async function conflict(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryError);
  expect((error as RegistryError).kind).toBe("conflict");
  return (error as RegistryError).message;
}

describe("model registry", () => {
  it("refuses a version name twice", async () => {
    await published("dup-1");
    expect(await conflict(published("dup-1"))).toBe('version "dup-1" already exists');
  });

  it("promotes, retiring the previous champion, and rolls back one promotion at a time", async () => {
    for (const v of ["a", "b", "c"]) {
      await published(v);
      await promote(database.db, v, "test");
    }
    expect(await champion()).toBe("c");
    expect((await getVersion(database.db, "b"))?.status).toBe("retired");

    expect(await rollback(database.db, "op")).toEqual({ from: "c", to: "b" });
    expect(await champion()).toBe("b");
    expect((await getVersion(database.db, "c"))?.status).toBe("retired");
    // A second rollback walks further back, not back to the version just rolled back.
    expect(await rollback(database.db, "op")).toEqual({ from: "b", to: "a" });
    expect(await champion()).toBe("a");
    expect(await conflict(rollbackPlan(database.db))).toBe("there is no previous champion to roll back to");

    // Promoting c again and rolling that back returns to a, the champion it replaced.
    await promote(database.db, "c", "op");
    expect(await rollbackPlan(database.db)).toEqual({ from: "c", to: "a" });
  });

  it("keeps one champion and records the audit trail", async () => {
    await promote(database.db, "c", "op"); // already champion: nothing changes
    const champions = (await listVersions(database.db)).filter((v) => v.status === "champion");
    expect(champions.map((v) => v.version)).toEqual(["c"]);
    // b's own events, and the rollback of c that restored b.
    const events = await listEvents(database.db, "b");
    expect(events.map((e) => [e.version, e.action, e.actor, e.detail])).toEqual([
      ["b", "trained", "test", { training_id: null, parent_version: null }],
      ["b", "published", "test", { manifest_sha256: SHA }],
      ["b", "promoted", "test", { previous: "a" }],
      ["c", "rolled_back", "op", { restored: "b" }],
      ["b", "rolled_back", "op", { restored: "a" }],
    ]);
  });

  it("refuses to promote a rejected or unpublished version, and an unknown one", async () => {
    await published("rej");
    await rejectVersion(database.db, "rej", { passed: false, reasons: ["too weak"] }, "test");
    expect(await conflict(promote(database.db, "rej", "op"))).toBe('version "rej" was rejected by the gates: too weak');

    await candidate("unpublished");
    expect(await conflict(promote(database.db, "unpublished", "op"))).toBe('version "unpublished" was never published to the edge');

    const unknown = await promote(database.db, "nope", "op").catch((e: RegistryError) => e);
    expect(unknown).toMatchObject({ kind: "not_found" });
  });

  it("rejects a stale rollback plan", async () => {
    const plan = await rollbackPlan(database.db);
    await promote(database.db, "b", "op");
    expect(await conflict(rollback(database.db, "op", plan))).toBe("the champion changed while rolling back; try again");
    expect(await champion()).toBe("b");
  });
});
