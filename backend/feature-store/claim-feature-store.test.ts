import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG_CHANGE_RETENTION_MS } from "../../models/catalog-changes.js";
import { keys } from "../../models/feature-keys.js";
import { databaseId } from "../db/database-identity.js";
import type { Database } from "../db/client.js";
import { startRedisGateway, type RedisGateway } from "../redis-gateway/gateway.js";
import { createMigratedTestDatabase, type TestDatabase } from "../test-support/postgres.js";
import { claimFeatureStore } from "./claim-feature-store.js";
import { createFeatureStore, type FeatureStore } from "./feature-store.js";

// A database index of its own: claiming deletes every recs:* key in it.
const REDIS_URL = "redis://127.0.0.1:6379/15";
let redis: IORedis;
let gateway: RedisGateway;
let store: FeatureStore;
const dbs: Array<{ testDb: TestDatabase; database: Database }> = [];

beforeAll(async () => {
  redis = new IORedis(REDIS_URL);
  await redis.flushdb();
  gateway = await startRedisGateway({ redisUrl: REDIS_URL, port: 0 });
  store = createFeatureStore({ url: gateway.url, token: "" });
  dbs.push(await createMigratedTestDatabase(), await createMigratedTestDatabase());
});

afterAll(async () => {
  for (const { database, testDb } of dbs) {
    await database.close();
    await testDb.drop();
  }
  await gateway?.close();
  await redis?.quit();
});

describe("claiming the feature store for a database", () => {
  it("keeps one id per database", async () => {
    const a = await databaseId(dbs[0]!.database.db);
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(await databaseId(dbs[0]!.database.db)).toBe(a);
    expect(await databaseId(dbs[1]!.database.db)).not.toBe(a);
  });

  it("clears every recs:* key left by another database, keeps the live state of its own, and leaves other apps' keys alone", async () => {
    const [a, b] = [dbs[0]!.database.db, dbs[1]!.database.db];
    // Left by a demo run whose database is gone: an item record, a count, a dedupe mark.
    await redis.set(keys.item("yoga-01"), JSON.stringify({ title: "Yoga mat" }));
    await redis.zadd(keys.popularity("7d", 1), 5, "yoga-01");
    await redis.set(keys.eventSeen("e1"), "1");
    await redis.set("other-app:x", "1");

    expect(await claimFeatureStore(a, store)).toEqual({ kind: "claimed", previous: null, deleted: 3 });
    expect(await redis.exists(keys.item("yoga-01"), keys.popularity("7d", 1), keys.eventSeen("e1"))).toBe(0);
    expect(await redis.get("other-app:x")).toBe("1");
    expect(await redis.get(keys.owner())).toBe(await databaseId(a));

    await redis.set(keys.item("mug-01"), "{}");
    expect(await claimFeatureStore(a, store)).toEqual({ kind: "owned" });
    expect(await redis.exists(keys.item("mug-01"))).toBe(1);

    expect(await claimFeatureStore(b, store)).toEqual({ kind: "claimed", previous: await databaseId(a), deleted: 2 });
    expect(await redis.exists(keys.item("mug-01"))).toBe(0);
    expect(await redis.get(keys.owner())).toBe(await databaseId(b));
  });
});

describe("writing item records", () => {
  it("stamps a record in the change set only when it changed, and keeps the set complete from the retention horizon", async () => {
    await redis.del(keys.catalogChanged(), keys.catalogCompleteSince(), keys.item("tent-01"), keys.item("lamp-01"));
    let now = Date.UTC(2026, 11, 1);
    const clocked = createFeatureStore({ url: gateway.url, token: "", now: () => now });
    const tent = { item_id: "tent-01", title: "Tent", category: "camping", price: 120, available: true };
    const lamp = { item_id: "lamp-01", title: "Lamp" };
    await clocked.writeItemRecords([tent, lamp]);
    expect(JSON.parse((await redis.get(keys.item("tent-01")))!)).toEqual({ title: "Tent", category: "camping", available: true, price: 120 });
    expect(await redis.zrange(keys.catalogChanged(), 0, -1, "WITHSCORES")).toEqual(["lamp-01", String(now), "tent-01", String(now)]);
    expect(Number(await redis.get(keys.catalogCompleteSince()))).toBe(now - CATALOG_CHANGE_RETENTION_MS);

    // A re-send of the same records (the sync's full pass after a restart) is no change.
    const first = now;
    now += 60_000;
    await clocked.writeItemRecords([tent, { ...lamp, available: false }]);
    expect(await redis.zscore(keys.catalogChanged(), "tent-01")).toBe(String(first));
    expect(await redis.zscore(keys.catalogChanged(), "lamp-01")).toBe(String(now));

    // Past the retention, old stamps go and the set is complete only from the new horizon.
    now = first + CATALOG_CHANGE_RETENTION_MS + 1;
    await clocked.writeItemRecords([{ ...tent, price: 99 }]);
    expect(await redis.zrange(keys.catalogChanged(), 0, -1)).toEqual(["lamp-01", "tent-01"]);
    now = first + 60_000 + CATALOG_CHANGE_RETENTION_MS + 1;
    await clocked.writeItemRecords([{ ...tent, price: 98 }]);
    expect(await redis.zrange(keys.catalogChanged(), 0, -1)).toEqual(["tent-01"]);
    expect(Number(await redis.get(keys.catalogCompleteSince()))).toBe(now - CATALOG_CHANGE_RETENTION_MS);
  });
});
