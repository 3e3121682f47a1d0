import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
