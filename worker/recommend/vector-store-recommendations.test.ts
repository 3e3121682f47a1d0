/**
 * Serving a version exported for the vector store (a catalog too large for the isolate):
 * its item vectors live in the Upstash Vector stand-in, the edge runs only the fold-in
 * graph and queries the store, and a new user's views still steer the next list.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
// First: the app registers zod's OpenAPI extension before any shared schema is built.
import { api, seedKeys, uniq } from "../test-support/fixtures.js";
import { clusteredLog } from "../../backend/evaluation/synthetic.js";
import { exportVersion } from "../../backend/training/export-artifacts.js";
import { DEFAULT_PIPELINE, fitPipeline } from "../../backend/training/pipeline.js";
import { resetActiveModelForTests } from "../models/active-model.js";
import { adminApi, publishVersion, writeCatalogRecords } from "../test-support/model-artifacts.js";

const DAY = 86_400_000;
let version: string;

async function upsert(namespace: string, vectors: { ids: string[]; factors: number; values: Float32Array }): Promise<void> {
  const body = vectors.ids.map((id, i) => ({ id, vector: Array.from(vectors.values.subarray(i * vectors.factors, (i + 1) * vectors.factors)) }));
  const res = await fetch(`${env.UPSTASH_VECTOR_REST_URL}/upsert/${namespace}`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.UPSTASH_VECTOR_REST_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

beforeAll(async () => {
  await seedKeys();
  await resetActiveModelForTests();
  const start = Date.now() - 14 * DAY;
  const log = clusteredLog({ seed: 9, clusters: 4, itemsPerCluster: 15, users: 200, eventsPerUser: 12 }).map((e) => ({ ...e, ts: start + e.ts * 60_000 }));
  await writeCatalogRecords(log.map((e) => e.item_id));
  const model = fitPipeline(log, [], { ...DEFAULT_PIPELINE, factorGrid: [16], ranker: null });
  version = uniq("vectors");
  const exported = await exportVersion(model, { version, inProcessMaxBytes: 1 });
  expect(exported.manifest.retrieval.path).toBe("vector_store");
  await upsert(version, exported.vectors!);
  await publishVersion({ version, manifest: exported.manifest, files: exported.files });
  const res = await adminApi("/v1/admin/models/active", { method: "PUT", json: { version } });
  expect(res.status, await res.clone().text()).toBe(200);
}, 120_000);

describe("a vector-store version", () => {
  it("retrieves through the fold-in graph and the vector store for a new user's views", async () => {
    const user = uniq("vs");
    for (const item of ["c1-i0", "c1-i1", "c1-i2"]) {
      const res = await api("/v1/events", { method: "POST", json: { events: [{ user_id: user, item_id: item, type: "view" }] } });
      expect(res.status).toBe(202);
    }
    const res = await api(`/v1/recommendations/${user}?limit=8`);
    const body = await res.json<{ model_version: string; degraded: string[]; items: Array<{ item_id: string; sources: string[] }> }>();
    expect(body.model_version).toBe(version);
    expect(body.degraded).toEqual([]);
    const cf = body.items.filter((i) => i.sources.includes("cf"));
    expect(cf.length).toBeGreaterThan(0);
    expect(body.items.filter((i) => i.item_id.startsWith("c1-")).length).toBeGreaterThanOrEqual(6);
    expect(res.headers.get("server-timing") ?? "").toMatch(/retrieval;dur=/);
  });
});
