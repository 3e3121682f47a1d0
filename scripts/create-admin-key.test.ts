/**
 * The first admin key of a production deployment: made by the script against the
 * database, it opens the admin API of a backend running with ENVIRONMENT=production
 * (which seeds no local keys and refuses them).
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackendApp } from "../backend/app.js";
import { createDatabase, type Database } from "../backend/db/client.js";
import { createFeatureStore } from "../backend/feature-store/feature-store.js";
import { silentLogger } from "../backend/logger.js";
import { UNREACHABLE_URL } from "../backend/test-support/backend-harness.js";
import { createTestDatabase, type TestDatabase } from "../backend/test-support/postgres.js";

let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe("npm run create-admin-key", () => {
  it("prints a production admin key once, which the production backend accepts, audited as bootstrap", async () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/create-admin-key.ts", "--name", "ops"], {
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: testDb.url },
    });
    expect(run.status, run.stderr).toBe(0);
    const key = run.stdout.trim().split("\n").at(-1)!;
    expect(key).toMatch(/^rk_live_/);

    database = await createDatabase({ url: testDb.url });
    const app = createBackendApp({
      database,
      featureStore: createFeatureStore({ url: UNREACHABLE_URL, token: "" }),
      logger: silentLogger,
      config: { backendToken: "t".repeat(32), corsOrigins: [], isProduction: true, userIdHashKey: "u".repeat(32) },
    });
    const keys = await app.request("/api/v1/keys", { headers: { authorization: `Bearer ${key}` } });
    expect(keys.status).toBe(200);
    expect(((await keys.json()) as { keys: Array<{ name: string; scopes: string[] }> }).keys).toEqual([
      expect.objectContaining({ name: "ops", scopes: ["admin"] }),
    ]);
    const audit = (await (await app.request("/api/v1/audit", { headers: { authorization: `Bearer ${key}` } })).json()) as {
      entries: Array<{ actor: string; action: string }>;
    };
    expect(audit.entries.at(-1)).toMatchObject({ actor: "bootstrap", action: "key.create" });
    expect(JSON.stringify(audit)).not.toContain(key);
  });

  it("needs DATABASE_URL", () => {
    const { DATABASE_URL: _unset, ...env } = process.env;
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/create-admin-key.ts"], { encoding: "utf8", env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("DATABASE_URL must name the production database");
  });
});
