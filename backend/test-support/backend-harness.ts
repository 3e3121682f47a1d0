/**
 * Test helper: the backend app over a fresh PostgreSQL database, with a feature store
 * that is either a real Redis REST gateway (in front of Redis at 127.0.0.1:6379, in a
 * database index of its own) or an unreachable address. Seeds one key per role.
 */
import { randomBytes } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Scope } from "../../models/api-keys.js";
import { createBackendApp, type BackendDeps } from "../app.js";
import { upsertApiKey } from "../auth/api-key-store.js";
import { createCatalogSync, type CatalogSync } from "../catalog/catalog-sync.js";
import { createDatabase, type Database } from "../db/client.js";
import { migrateDatabase } from "../db/migrate.js";
import { createFeatureStore, type FeatureStore } from "../feature-store/feature-store.js";
import type { AppEnv } from "../http/app-env.js";
import { silentLogger } from "../logger.js";
import { createBackendMetrics, type BackendMetrics } from "../metrics/backend-metrics.js";
import { startRedisGateway } from "../redis-gateway/gateway.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";

/** Backend tests keep their Redis keys out of database 0, which other suites use. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379/9";
/**
 * Nothing listens on this privileged port, so connections are refused at once. (Not 9
 * or 1: fetch refuses those "bad ports" itself, which would test something else.)
 */
export const UNREACHABLE_URL = "http://127.0.0.1:2";

export const BACKEND_TOKEN = "test-backend-token-0123456789";

export interface Harness {
  app: OpenAPIHono<AppEnv>;
  database: Database;
  metrics: BackendMetrics;
  catalogSync: CatalogSync;
  /** Lets a test make the feature store fail (or work again) at run time. */
  featureStore: SwitchableFeatureStore;
  gatewayUrl: string | null;
  keys: { admin: string; client: string; reader: string; writer: string };
  /** Unique per harness; prefix ids with it so parallel files never share rows or Redis keys. */
  prefix: string;
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface SwitchableFeatureStore extends FeatureStore {
  failing: boolean;
}

export interface HarnessOptions {
  redis?: "gateway" | "unreachable";
  deps?: Partial<BackendDeps>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const testDb = await createTestDatabase();
  const database = await createDatabase({ url: testDb.url, maxConnections: 5 });
  await migrateDatabase(database);
  const gateway = options.redis === "unreachable" ? null : await startRedisGateway({ redisUrl: TEST_REDIS_URL, port: 0 });
  const featureStore = switchable(createFeatureStore({ url: gateway?.url ?? UNREACHABLE_URL, token: "" }));
  const metrics = createBackendMetrics();
  const catalogSync = createCatalogSync({ db: database.db, featureStore, logger: silentLogger, metrics });
  const prefix = `t${randomBytes(4).toString("hex")}`;
  const keys = await seedKeys(database, prefix);
  const app = createBackendApp({
    database,
    featureStore,
    metrics,
    catalogSync,
    logger: silentLogger,
    config: { backendToken: BACKEND_TOKEN, corsOrigins: ["http://localhost:3000"], isProduction: false },
    ...options.deps,
  });
  return {
    app,
    database,
    metrics,
    catalogSync,
    featureStore,
    gatewayUrl: gateway?.url ?? null,
    keys,
    prefix,
    request: async (path, init) => app.request(path, init),
    close: () => closeAll(database, testDb, gateway),
  };
}

async function closeAll(database: Database, testDb: TestDatabase, gateway: { close(): Promise<void> } | null) {
  await database.close();
  await gateway?.close();
  await testDb.drop();
}

function switchable(inner: FeatureStore): SwitchableFeatureStore {
  const store: SwitchableFeatureStore = {
    failing: false,
    writeItemRecords: (items) => (store.failing ? Promise.reject(new Error("feature store down (test)")) : inner.writeItemRecords(items)),
    writeTrainedHistories: (entries) => (store.failing ? Promise.reject(new Error("feature store down (test)")) : inner.writeTrainedHistories(entries)),
    deleteTrainedHistories: (users) => (store.failing ? Promise.reject(new Error("feature store down (test)")) : inner.deleteTrainedHistories(users)),
    owner: () => (store.failing ? Promise.reject(new Error("feature store down (test)")) : inner.owner()),
    resetFor: (owner) => (store.failing ? Promise.reject(new Error("feature store down (test)")) : inner.resetFor(owner)),
    ping: () => (store.failing ? Promise.reject(new Error("feature store down (test)")) : inner.ping()),
  };
  return store;
}

async function seedKeys(database: Database, prefix: string) {
  const roles: Record<"admin" | "client" | "reader" | "writer", Scope[]> = {
    admin: ["admin"],
    client: ["events:write", "recs:read"],
    reader: ["recs:read"],
    writer: ["events:write"],
  };
  const keys = {} as Record<keyof typeof roles, string>;
  for (const [role, scopes] of Object.entries(roles) as Array<[keyof typeof roles, Scope[]]>) {
    keys[role] = `rk_test_${prefix}_${role}_${randomBytes(8).toString("hex")}`;
    await upsertApiKey(database.db, { id: `${prefix}-${role}`, name: role, key: keys[role], scopes });
  }
  return keys;
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

export function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

/**
 * A response body for assertions. `any` on purpose: each test's expect() calls check the
 * shape, and typing every payload in tests would only restate the route schemas.
 */
// biome-ignore lint/suspicious/noExplicitAny: test helper; see the comment above
export async function json(response: Response): Promise<any> {
  return response.json();
}
