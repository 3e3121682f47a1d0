/** GET /health reports the version this isolate serves; GET /health/ready names each degraded part. */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ACTIVE_POINTER_KEY } from "../../models/model-manifest.js";
import { createApp } from "../app.js";
import type { Env } from "../env.js";
import { resetActiveModelForTests } from "../models/active-model.js";
import { uniq } from "../test-support/fixtures.js";
import { adminApi, buildTestVersion, publishVersion, V1_FACTORS, writePointer } from "../test-support/model-artifacts.js";

interface Ready {
  status: string;
  model_version: string;
  degraded: string[];
  checks: Record<string, { status: string; detail?: string }>;
}

async function get(path: string, overrides: Partial<Env> = {}): Promise<{ status: number; body: Ready & { dependencies?: { redis: string } } }> {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(new Request(`http://edge.test${path}`), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: await res.json() };
}

const failing = (what: string) => () => Promise.reject(new Error(`${what} is down`));

beforeEach(async () => {
  await resetActiveModelForTests();
  await env.CONFIG.delete(ACTIVE_POINTER_KEY);
});

describe("health", () => {
  it("reports heuristic-v1 with no active model, and the active version once one is activated", async () => {
    expect((await get("/health")).body.model_version).toBe("heuristic-v1");
    const v = await buildTestVersion(uniq("health"), V1_FACTORS);
    await publishVersion(v);
    expect((await adminApi("/v1/admin/models/active", { method: "PUT", json: { version: v.version } })).status).toBe(200);
    const health = await get("/health");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok", model_version: v.version, dependencies: { redis: "ok" } });
    // A cold isolate (nothing loaded yet) loads the active version and reports it too.
    await resetActiveModelForTests();
    expect((await get("/health")).body.model_version).toBe(v.version);
  });

  it("is ready when the model, KV, R2 and Redis all answer", async () => {
    const v = await buildTestVersion(uniq("ready"), V1_FACTORS);
    await publishVersion(v);
    expect((await adminApi("/v1/admin/models/active", { method: "PUT", json: { version: v.version } })).status).toBe(200);
    const ready = await get("/health/ready");
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", model_version: v.version, degraded: [] });
    expect(Object.keys(ready.body.checks).sort()).toEqual(["kv", "model", "r2", "redis"]);
  });

  it("is ready serving the heuristic when no version is active", async () => {
    const ready = await get("/health/ready");
    expect([ready.status, ready.body.status, ready.body.model_version]).toEqual([200, "ready", "heuristic-v1"]);
  });

  it.each([
    ["redis", { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" }],
    ["r2", { ARTIFACTS: { head: failing("R2") } as unknown as R2Bucket }],
  ])("answers 503 naming %s when it fails, and only it", async (part, overrides) => {
    const ready = await get("/health/ready", overrides as Partial<Env>);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: "degraded", degraded: [part] });
    expect(ready.body.checks[part]!.status).toBe("unreachable");
  });

  it("answers 503 naming kv and the model when KV fails", async () => {
    const ready = await get("/health/ready", { CONFIG: { get: failing("KV") } as unknown as KVNamespace });
    expect(ready.status).toBe(503);
    expect(ready.body.degraded.sort()).toEqual(["kv", "model"]);
  });

  it("names the model when the active version does not load in this isolate", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await writePointer(uniq("never-published"), "0".repeat(64));
    const ready = await get("/health/ready");
    expect(ready.status).toBe(503);
    expect(ready.body.degraded).toEqual(["model"]);
    expect(ready.body.checks.model!.detail).toMatch(/is active but this isolate serves heuristic-v1/);
    warn.mockRestore();
  });
});
