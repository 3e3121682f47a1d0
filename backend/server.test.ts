import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey, KeySetSchema } from "../models/api-keys.js";
import { ExperimentSetSchema } from "../models/experiments/experiment.js";
import { loadConfig } from "./config.js";
import { generateDemoData } from "./demo/generate-demo-data.js";
import { loadDemoData } from "./demo/load-demo-data.js";
import { silentLogger } from "./logger.js";
import { startRedisGateway, type RedisGateway } from "./redis-gateway/gateway.js";
import { startBackend, type RunningBackend } from "./server.js";
import { startFakeEdge, type FakeEdge } from "./test-support/fake-edge.js";
import { createTestDatabase, type TestDatabase } from "./test-support/postgres.js";

const ADMIN_KEY = "rk_local_server_test_admin";
const CLIENT_KEY = "rk_local_server_test_client";

let testDb: TestDatabase;
let gateway: RedisGateway;
let edge: FakeEdge;
let backend: RunningBackend;

function config() {
  return loadConfig({
    PORT: "0",
    DATABASE_URL: testDb.url,
    UPSTASH_REDIS_REST_URL: gateway.url,
    EDGE_URL: edge.url,
    EDGE_ADMIN_TOKEN: "edge-admin",
    BACKEND_TOKEN: "backend-token",
    RECS_LOCAL_ADMIN_KEY: ADMIN_KEY,
    RECS_LOCAL_CLIENT_KEY: CLIENT_KEY,
  });
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  // A database index of its own: each start claims the store and may clear its recs:* keys.
  gateway = await startRedisGateway({ redisUrl: "redis://127.0.0.1:6379/14", port: 0 });
  edge = await startFakeEdge();
  edge.keyAnswers = [503]; // the edge is still starting when the backend comes up
  backend = await startBackend(config(), {
    logger: silentLogger,
    publishOptions: { baseDelayMs: 10 },
    resyncOnStart: false,
  });
});

afterAll(async () => {
  await backend?.close();
  await edge.close();
  await gateway.close();
  await testDb.drop();
});

describe("startBackend", () => {
  it("serves HTTP on the chosen port with request ids", async () => {
    expect(backend.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${backend.url}/health`, { headers: { "x-request-id": "abc-123" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("abc-123");
    const ready = await fetch(`${backend.url}/health/ready`);
    expect(ready.status).toBe(200);
  });

  it("seeds the local keys and publishes the key set to the edge in the background", async () => {
    expect(await backend.keysPublished).toBe(true);
    const puts = edge.requests.filter((r) => r.path === "/v1/admin/keys");
    expect(puts.length).toBe(2);
    expect(puts[1]?.authorization).toBe("Bearer edge-admin");
    const keySet = KeySetSchema.parse(puts[1]?.body);
    expect(keySet.keys).toEqual([
      { id: "local-admin", hash: await hashApiKey(ADMIN_KEY), scopes: ["admin"], expires_at: null },
      { id: "local-client", hash: await hashApiKey(CLIENT_KEY), scopes: ["events:write", "recs:read", "recs:bulk"], expires_at: null },
    ]);
    const authed = await fetch(`${backend.url}/api/v1/catalog/items?limit=1`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    expect(authed.status).toBe(200);
  });

  it("publishes the running experiments (none yet) to the edge in the background", async () => {
    expect(await backend.experimentsPublished).toBe(true);
    const puts = edge.requests.filter((r) => r.method === "PUT" && r.path === "/v1/admin/experiments");
    expect(puts).toHaveLength(1);
    expect(puts[0]?.authorization).toBe("Bearer edge-admin");
    expect(ExperimentSetSchema.parse(puts[0]?.body)).toEqual({ experiments: [], published_at: expect.any(String) });
    const listed = await fetch(`${backend.url}/api/v1/recs/experiments`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(listed.status).toBe(200);
  });

  it("loads demo data once: catalog to the backend, events to the edge", async () => {
    const data = generateDemoData(3, { users: 40, itemsPerCluster: 5 });
    const lines: string[] = [];
    const first = await loadDemoData({
      backendUrl: backend.url,
      edgeUrl: edge.url,
      adminKey: ADMIN_KEY,
      clientKey: CLIENT_KEY,
      data,
      onProgress: (line) => lines.push(line),
    });
    expect(first).toMatchObject({ loaded: true, items: 40, events: { sent: data.events.length, accepted: data.events.length, rejected: 0 } });
    const posts = edge.requests.filter((r) => r.path === "/v1/events");
    expect(posts.every((p) => p.authorization === `Bearer ${CLIENT_KEY}`)).toBe(true);
    expect(posts.every((p) => (p.body as { events: unknown[] }).events.length <= 500)).toBe(true);
    expect(lines.at(-1)).toMatch(/demo data loaded: 40 items/);

    const listed = await fetch(`${backend.url}/api/v1/catalog/items?limit=100`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(((await listed.json()) as { items: unknown[] }).items).toHaveLength(40);

    const second = await loadDemoData({ backendUrl: backend.url, edgeUrl: edge.url, adminKey: ADMIN_KEY, clientKey: CLIENT_KEY, data });
    expect(second).toMatchObject({ loaded: false });
    expect(edge.requests.filter((r) => r.path === "/v1/events")).toHaveLength(posts.length);
  });

  it("closes cleanly and starts again on the same database (migrations are idempotent)", async () => {
    await backend.close();
    await backend.close();
    await expect(fetch(`${backend.url}/health`)).rejects.toThrow();
    backend = await startBackend(config(), { logger: silentLogger, publishKeys: false, resyncOnStart: false });
    const listed = await fetch(`${backend.url}/api/v1/catalog/items?limit=1`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(listed.status).toBe(200);
  });

  it("refuses to start on a port already in use, with a clear message", async () => {
    const port = Number(new URL(backend.url).port);
    await expect(startBackend({ ...config(), port }, { logger: silentLogger, publishKeys: false, resyncOnStart: false })).rejects.toThrow(/already in use/);
  });
});
