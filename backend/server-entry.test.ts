/**
 * The backend as a deployment runs it: `tsx backend/server.ts`, a process configured
 * only by its environment. With TRAINING on (the default) it trains the full pipeline
 * on what it holds and publishes the version to the edge, signed with MODEL_SIGNING_KEY;
 * with TRAINING=false it serves without the training API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signingKey, verifyManifest } from "../models/manifest-signature.js";
import type { Manifest } from "../models/model-manifest.js";
import { spawnService, type Service } from "../test/spawn-service.js";
import { generateDemoData } from "./demo/generate-demo-data.js";
import { startRedisGateway, type RedisGateway } from "./redis-gateway/gateway.js";
import { startFakeEdge, type FakeEdge } from "./test-support/fake-edge.js";
import { freePort } from "./test-support/free-port.js";

const ADMIN = "rk_local_entry_test_admin_0123";
const SIGNING_KEY = "entry-test-signing-key-0123456789abcdef";

let gateway: RedisGateway;
let edge: FakeEdge;
const services: Service[] = [];

beforeAll(async () => {
  gateway = await startRedisGateway({ engine: "memory", port: 0 });
  edge = await startFakeEdge();
});

afterAll(async () => {
  for (const s of services) await s.stop();
  await edge?.close();
  await gateway?.close();
});

async function backend(extra: Record<string, string> = {}): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    DATABASE_URL: "memory://",
    UPSTASH_REDIS_REST_URL: gateway.url,
    EDGE_URL: edge.url,
    EDGE_ADMIN_TOKEN: "entry-edge-admin-token",
    RECS_LOCAL_ADMIN_KEY: ADMIN,
    MODEL_SIGNING_KEY: SIGNING_KEY,
    TRAIN_ON_START: "false",
    TRAIN_INTERVAL_HOURS: "0",
    ...extra,
  };
  services.push(await spawnService("backend/server.ts", env, `${url}/health`));
  return url;
}

const admin = (init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { authorization: `Bearer ${ADMIN}`, ...(init.headers as Record<string, string>) },
});
const postJson = (url: string, body: unknown) =>
  fetch(url, admin({ method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } }));

describe("tsx backend/server.ts", () => {
  it("trains the pipeline on its own data and publishes the version to the edge, signed", async () => {
    const url = await backend();
    const demo = generateDemoData(11, { users: 120 });
    expect((await postJson(`${url}/api/v1/catalog/items`, { items: demo.items })).status).toBe(200);
    const ndjson = demo.events.map((e) => JSON.stringify(e)).join("\n");
    const imported = await fetch(
      `${url}/api/v1/interactions/import`,
      admin({ method: "POST", body: ndjson, headers: { "content-type": "application/x-ndjson" } }),
    );
    expect(imported.status).toBe(200);

    const queued = await postJson(`${url}/api/v1/recs/train`, {});
    expect(queued.status).toBe(202);
    const { training_id } = (await queued.json()) as { training_id: string };
    let job: { status: string; version: string | null; error: string | null } = { status: "queued", version: null, error: null };
    for (const end = Date.now() + 240_000; Date.now() < end && (job.status === "queued" || job.status === "running"); ) {
      await new Promise((r) => setTimeout(r, 1_000));
      job = (await (await fetch(`${url}/api/v1/recs/train/${training_id}`, admin())).json()) as typeof job;
    }
    expect(job, JSON.stringify(job)).toMatchObject({ status: "succeeded", error: null });
    const models = (await (await fetch(`${url}/api/v1/recs/models`, admin())).json()) as { champion: string | null };
    expect(models.champion).toBe(job.version);

    const toEdge = edge.requests.filter((r) => r.path.startsWith("/v1/admin/models/"));
    expect(toEdge.every((r) => r.authorization === "Bearer entry-edge-admin-token")).toBe(true);
    const manifest = toEdge.find((r) => r.path === `/v1/admin/models/${job.version}/manifest`);
    expect(manifest?.body).toMatchObject({ version: job.version, signature: expect.anything() });
    // Signed with MODEL_SIGNING_KEY from the environment, not the development key.
    expect(await verifyManifest(manifest!.body as Manifest, [await signingKey(SIGNING_KEY)])).toMatchObject({ ok: true });
    expect(toEdge.filter((r) => r.path.includes("/files/")).length).toBeGreaterThan(0);
    expect(toEdge.at(-1)).toMatchObject({ path: "/v1/admin/models/active", body: { version: job.version } });
  }, 300_000);

  it("serves without the training API when TRAINING=false", async () => {
    const url = await backend({ TRAINING: "false" });
    expect((await fetch(`${url}/api/v1/recs/models`, admin())).status).toBe(404);
    expect((await fetch(`${url}/api/v1/webhooks`, admin())).status).toBe(200);
  }, 60_000);
});
