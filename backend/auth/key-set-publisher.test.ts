import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KeySetSchema } from "../../models/api-keys.js";
import type { Database } from "../db/client.js";
import { startFakeEdge, type FakeEdge } from "../test-support/fake-edge.js";
import { createMigratedTestDatabase, type TestDatabase } from "../test-support/postgres.js";
import { createApiKey, revokeApiKey } from "./api-key-store.js";
import { createKeySetPublisher } from "./key-set-publisher.js";

let testDb: TestDatabase;
let database: Database;
let edge: FakeEdge;
const fast = { attempts: 2, baseDelayMs: 5, maxDelayMs: 10, timeoutMs: 2000 };

beforeAll(async () => {
  ({ testDb, database } = await createMigratedTestDatabase());
  edge = await startFakeEdge();
});

afterAll(async () => {
  await edge?.close();
  await database?.close();
  await testDb?.drop();
});

beforeEach(() => {
  edge.requests.length = 0;
  edge.keyAnswers = [];
});

const publishedIds = () => edge.requests.filter((r) => r.path === "/v1/admin/keys").map((r) => KeySetSchema.parse(r.body).keys.map((k) => k.id));

const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe("createKeySetPublisher", () => {
  it("publishes the current set on demand and reports pending when the edge refuses", async () => {
    const publisher = createKeySetPublisher({ db: database.db, edgeUrl: edge.url, edgeAdminToken: "t", intervalMs: 0, retry: fast });
    const key = await createApiKey(database.db, { name: "a", scopes: ["recs:read"], environment: "development" });
    expect(await publisher.publishNow()).toEqual({ status: "published", keys: expect.any(Number) });
    expect(publishedIds().at(-1)).toContain(key.id);

    edge.keyAnswers = [503, 503];
    const pending = await publisher.publishNow();
    expect(pending).toMatchObject({ status: "pending", reason: expect.stringMatching(/503/) });
    publisher.stop();
  });

  it("logs when publication starts failing and when it recovers, not at every failed attempt", async () => {
    const lines: string[] = [];
    const logger = {
      info: (m: string) => lines.push(`info ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
      error: (m: string) => lines.push(`error ${m}`),
    };
    const publisher = createKeySetPublisher({ db: database.db, edgeUrl: edge.url, edgeAdminToken: "t", intervalMs: 0, retry: fast, logger });
    edge.keyAnswers = [503, 503, 503, 503];
    expect((await publisher.publishNow()).status).toBe("pending");
    expect((await publisher.publishNow()).status).toBe("pending");
    expect((await publisher.publishNow()).status).toBe("published");
    expect(lines).toEqual(["error key set not published to the edge; retrying every minute", "info key set published to the edge again"]);
    publisher.stop();
  });

  it("publishes every interval, which drops keys that have expired since and retries a failed publication", async () => {
    const publisher = createKeySetPublisher({ db: database.db, edgeUrl: edge.url, edgeAdminToken: "t", intervalMs: 100, retry: fast });
    const expiring = await createApiKey(database.db, {
      name: "short",
      scopes: ["recs:read"],
      environment: "development",
      expiresAt: new Date(Date.now() + 150),
    });
    expect(await publisher.publishNow()).toMatchObject({ status: "published" });
    expect(publishedIds().at(-1)).toContain(expiring.id);

    edge.keyAnswers = [503, 503]; // the first tick fails; a later one must carry the set
    publisher.start();
    await until(() => publishedIds().length >= 5);
    publisher.stop();
    expect(publishedIds().at(-1)).not.toContain(expiring.id);
  });

  it("cancels a patient start-up publication when a newer one is asked for, which carries the fresh set", async () => {
    const publisher = createKeySetPublisher({ db: database.db, edgeUrl: edge.url, edgeAdminToken: "t", intervalMs: 0, retry: fast });
    const doomed = await createApiKey(database.db, { name: "doomed", scopes: ["recs:read"], environment: "development" });
    edge.keyAnswers = [503];
    const startup = publisher.publishAtStartup({ attempts: 40, baseDelayMs: 200, maxDelayMs: 200 });
    await until(() => publishedIds().length === 1); // the start-up set (with the key) was refused once
    await revokeApiKey(database.db, doomed.id);
    expect(await publisher.publishNow()).toMatchObject({ status: "published" });
    expect((await startup).status).toBe("pending");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(publishedIds().at(-1)).not.toContain(doomed.id);
    publisher.stop();
  });
});
