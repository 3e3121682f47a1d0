import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../db/client.js";
import { migrateDatabase } from "../db/migrate.js";
import type { FeatureStore, ItemRecordSource } from "../feature-store/feature-store.js";
import { silentLogger } from "../logger.js";
import { createBackendMetrics } from "../metrics/backend-metrics.js";
import { upsertItems } from "./catalog-repository.js";
import { createCatalogSync } from "./catalog-sync.js";

/** Records writes; fails while `down`. */
function recordingStore() {
  const store = {
    down: false,
    written: [] as string[],
    async writeItemRecords(items: readonly ItemRecordSource[]) {
      if (store.down) throw new Error("down");
      store.written.push(...items.map((i) => i.item_id));
    },
    async ping() {},
  };
  return store satisfies Pick<FeatureStore, "writeItemRecords" | "ping">;
}

let database: Database;
beforeAll(async () => {
  database = await createDatabase({ url: "memory://" });
  await migrateDatabase(database);
});
afterAll(() => database.close());

function setup() {
  const store = recordingStore();
  const sync = createCatalogSync({ db: database.db, featureStore: store, logger: silentLogger, metrics: createBackendMetrics() });
  return { store, sync };
}

describe("createCatalogSync", () => {
  it("re-sends, after a failure, every item updated since the failed batch — across pages", async () => {
    const { store, sync } = setup();
    const old = await upsertItems(database.db, [{ item_id: "old", title: "Old" }]);
    expect(old.upserted).toBe(1);
    store.down = true;
    const batch = Array.from({ length: 2500 }, (_, i) => ({ item_id: `p${String(i).padStart(4, "0")}`, title: `P ${i}` }));
    const { oldestUpdate } = await upsertItems(database.db, batch.slice(0, 1000));
    await upsertItems(database.db, batch.slice(1000, 2000));
    await upsertItems(database.db, batch.slice(2000));
    expect(await sync.push(batch, oldestUpdate!)).toBe("pending");
    expect(sync.pendingSince()).toEqual(oldestUpdate);

    store.down = false;
    expect(await sync.resyncPending()).toBe(true);
    expect(new Set(store.written)).toEqual(new Set(batch.map((i) => i.item_id)));
    expect(store.written).not.toContain("old");
    expect(sync.pendingSince()).toBeNull();
  });

  it("runs one pass at a time and does nothing when nothing is pending", async () => {
    const { store, sync } = setup();
    expect(await sync.resyncPending()).toBe(true);
    expect(store.written).toEqual([]);
    sync.markAllPending();
    const [a, b] = [sync.resyncPending(), sync.resyncPending()];
    expect(a).toBe(b);
    await a;
    expect(store.written).toContain("old");
  });

  it("keeps items pending when a push fails while a pass is running", async () => {
    const { store, sync } = setup();
    sync.markAllPending();
    const pass = sync.resyncPending();
    store.down = true;
    await sync.push([{ item_id: "late", title: "Late" }], new Date());
    store.down = false;
    await pass;
    expect(sync.pendingSince()).not.toBeNull();
  });
});
