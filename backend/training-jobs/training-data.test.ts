import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertItems } from "../catalog/catalog-repository.js";
import type { Database } from "../db/client.js";
import { interactions } from "../db/schema.js";
import { createMigratedTestDatabase, type TestDatabase } from "../test-support/postgres.js";
import { loadTrainingData } from "./training-data.js";

let testDb: TestDatabase;
let database: Database;

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const TYPES = ["view", "click", "purchase", "dismiss"] as const;

beforeAll(async () => {
  ({ testDb, database } = await createMigratedTestDatabase());
  // 2,500 events over 250 hours, ten per hour sharing one timestamp, so keyset pages of
  // 1,000 split groups of equal ts; inserted in reverse time order, so id order ≠ ts order.
  const rows = Array.from({ length: 2500 }, (_, i) => ({
    eventId: `e${i}`,
    userId: `u${i % 37}`,
    itemId: `i${i % 11}`,
    type: TYPES[i % TYPES.length]!,
    ts: new Date(T0 + Math.floor(i / 10) * HOUR),
  })).reverse();
  for (let i = 0; i < rows.length; i += 500) await database.db.insert(interactions).values(rows.slice(i, i + 500));
  await database.db.insert(interactions).values({ eventId: "legacy", userId: "u1", itemId: "i1", type: "legacy_type", ts: new Date(T0) });
  await upsertItems(database.db, [
    { item_id: "i2", title: "Two", category: "cat", tags: ["x"], price: 3, available: false, attributes: { a: 1 } },
    { item_id: "i1", title: "One" },
  ]);
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe("loadTrainingData", () => {
  it("reads every interaction in time order, across page boundaries, with the shared weights", async () => {
    const data = await loadTrainingData(database.db, {}, { batchSize: 1000 });
    expect(data.interactions).toHaveLength(2500);
    expect(data.skipped).toBe(1);
    const ts = data.interactions.map((r) => r.ts);
    expect(ts.every((t, i) => i === 0 || ts[i - 1]! <= t)).toBe(true);
    expect(new Set(data.interactions.map((r) => `${r.user_id}/${r.item_id}/${r.ts}`)).size).toBeGreaterThan(2000);
    const weights = new Map(data.interactions.map((r) => [r.weight, true]));
    expect([...weights.keys()].sort((a, b) => a - b)).toEqual([0, 1, 3, 10]); // dismiss, view, click, purchase
  });

  it("applies the window: from inclusive, to exclusive", async () => {
    const data = await loadTrainingData(
      database.db,
      { from: new Date(T0 + 10 * HOUR).toISOString(), to: new Date(T0 + 20 * HOUR).toISOString() },
      { batchSize: 7 },
    );
    expect(data.interactions).toHaveLength(100);
    expect(Math.min(...data.interactions.map((r) => r.ts))).toBe(T0 + 10 * HOUR);
    expect(Math.max(...data.interactions.map((r) => r.ts))).toBe(T0 + 19 * HOUR);
  });

  it("returns the catalog in item-id order as CatalogItem records", async () => {
    const data = await loadTrainingData(database.db, { from: new Date(T0 + 1000 * HOUR).toISOString() }, { batchSize: 1 });
    expect(data.interactions).toEqual([]);
    expect(data.catalog).toEqual([
      { item_id: "i1", title: "One", tags: [], available: true },
      { item_id: "i2", title: "Two", category: "cat", tags: ["x"], price: 3, available: false, attributes: { a: 1 } },
    ]);
  });

  it("stops between pages when the signal aborts", async () => {
    const controller = new AbortController();
    controller.abort(new Error("shutting down"));
    await expect(loadTrainingData(database.db, {}, { signal: controller.signal })).rejects.toThrow("shutting down");
  });
});
