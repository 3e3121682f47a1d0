import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey, KeySetSchema } from "../models/api-keys.js";
import { createApiKey, revokeApiKey, upsertApiKey } from "./auth/api-key-store.js";
import { createDatabase, type Database } from "./db/client.js";
import { migrateDatabase } from "./db/migrate.js";
import { publishKeySet, PublishError } from "./edge-publisher.js";
import { UNREACHABLE_URL } from "./test-support/backend-harness.js";
import { startFakeEdge, type FakeEdge } from "./test-support/fake-edge.js";
import { createTestDatabase, type TestDatabase } from "./test-support/postgres.js";

let testDb: TestDatabase;
let database: Database;
let edge: FakeEdge;
const fast = { baseDelayMs: 5, maxDelayMs: 20 };

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = await createDatabase({ url: testDb.url });
  await migrateDatabase(database);
  await upsertApiKey(database.db, { id: "k-admin", name: "admin", key: "rk_local_admin_key", scopes: ["admin"] });
  const revoked = await createApiKey(database.db, { name: "old", scopes: ["recs:read"], environment: "development" });
  await revokeApiKey(database.db, revoked.id);
  edge = await startFakeEdge();
});

afterAll(async () => {
  await edge.close();
  await database.close();
  await testDb.drop();
});

describe("publishKeySet", () => {
  it("PUTs the non-revoked keys' hashes with the admin token, retrying while the edge is not ready", async () => {
    edge.requests.length = 0;
    edge.keyAnswers = [503, 502];
    const result = await publishKeySet(edge.url, "edge-admin-token", database.db, fast);
    expect(result).toEqual({ keys: 1, attempts: 3 });
    expect(edge.requests).toHaveLength(3);
    const last = edge.requests.at(-1)!;
    expect(last).toMatchObject({ method: "PUT", path: "/v1/admin/keys", authorization: "Bearer edge-admin-token" });
    const keySet = KeySetSchema.parse(last.body);
    expect(keySet.keys).toEqual([{ id: "k-admin", hash: await hashApiKey("rk_local_admin_key"), scopes: ["admin"], expires_at: null }]);
  });

  it("gives up at once on an answer that retrying cannot fix", async () => {
    edge.keyAnswers = [401];
    await expect(publishKeySet(edge.url, "wrong", database.db, fast)).rejects.toThrow(/edge answered 401.*|after 1 attempt/);
  });

  it("retries a refused connection and reports after the last attempt", async () => {
    const retries: string[] = [];
    const attempt = publishKeySet(UNREACHABLE_URL, "t", database.db, {
      ...fast,
      attempts: 3,
      onRetry: (_, reason) => retries.push(reason),
    });
    await expect(attempt).rejects.toThrow(PublishError);
    await expect(attempt).rejects.toThrow(/after 3 attempt\(s\): ECONNREFUSED/);
    expect(retries).toEqual(["ECONNREFUSED", "ECONNREFUSED"]);
  });

  it("stops when cancelled", async () => {
    const controller = new AbortController();
    const attempt = publishKeySet(UNREACHABLE_URL, "t", database.db, { baseDelayMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(attempt).rejects.toThrow(/cancelled/);
  });
});
