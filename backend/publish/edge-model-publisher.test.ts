/**
 * The model publisher against a recording edge and the real Upstash Vector stand-in:
 * upload order (files, vectors, manifest; activation separate), the checksums sent,
 * and item vectors a vector-store version's edge can query.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVectorServer } from "../vector-server/server.js";
import { startFakeEdge, type FakeEdge } from "../test-support/fake-edge.js";
import type { TrainedCandidate } from "../training-jobs/types.js";
import { verifyManifest } from "../../models/manifest-signature.js";
import type { Manifest } from "../../models/model-manifest.js";
import { createEdgeModelPublisher, VECTOR_BATCH } from "./edge-model-publisher.js";
import { PublishError } from "./edge-admin-client.js";

let edge: FakeEdge;
let vectors: Awaited<ReturnType<typeof startVectorServer>>;

beforeAll(async () => {
  edge = await startFakeEdge();
  vectors = await startVectorServer({ port: 0, token: "vt", similarity: "DOT_PRODUCT" });
});

afterAll(async () => {
  await edge.close();
  await vectors.close();
});

function candidate(withVectors: boolean): TrainedCandidate {
  const n = VECTOR_BATCH + 5; // two upsert batches
  const values = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) values.set([i / n, 1 - i / n], i * 2);
  return {
    version: "v-test",
    modelType: "pipeline",
    params: {},
    dataWindow: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-02T00:00:00.000Z", interactions: 1, users: 1, items: 1 },
    metrics: [],
    baselineMetrics: [],
    artifacts: [
      { name: "fold-in.onnx", role: "fold_in", bytes: Uint8Array.of(1, 2, 3), sha256: "a".repeat(64) },
      { name: "items.json", role: "items", bytes: new TextEncoder().encode("{}"), sha256: "b".repeat(64) },
    ],
    manifest: { version: "v-test" } as unknown as TrainedCandidate["manifest"],
    vectors: withVectors ? { ids: Array.from({ length: n }, (_, i) => `item-${i}`), factors: 2, values } : null,
  };
}

const SIGNING = { secret: "publisher-test-signing-key-0123456789abcdef", id: "test-key" };

describe("createEdgeModelPublisher", () => {
  it("uploads files with their checksums, then vectors, then the manifest, and activates separately", async () => {
    edge.requests.length = 0;
    const publisher = createEdgeModelPublisher({
      edgeUrl: edge.url,
      edgeAdminToken: "tok",
      signingKey: SIGNING,
      vectorStore: { url: vectors.url, token: "vt" },
    });
    const { manifestSha256 } = await publisher.publish(candidate(true));
    expect(manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(edge.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "PUT /v1/admin/models/v-test/files/fold-in.onnx",
      "PUT /v1/admin/models/v-test/files/items.json",
      "PUT /v1/admin/models/v-test/manifest",
    ]);
    expect(edge.requests[0]!.authorization).toBe("Bearer tok");
    expect(edge.requests[0]!.body).toEqual({ sha256: "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", bytes: 3 });
    // The manifest goes out signed with the configured key, and verifies only under it.
    const sent = edge.requests[2]!.body as Manifest;
    expect(sent.signature).toMatchObject({ alg: "HMAC-SHA256", key_id: "test-key" });
    expect(await verifyManifest(sent, [{ id: "test-key", secret: SIGNING.secret }])).toEqual({ ok: true, keyId: "test-key" });
    expect((await verifyManifest(sent, [{ id: "test-key", secret: "another-secret-0123456789abcdef0123" }])).ok).toBe(false);
    // The last item leans most towards the first factor: it must top a query along it.
    const res = await fetch(`${vectors.url}/query/v-test`, {
      method: "POST",
      headers: { authorization: "Bearer vt", "content-type": "application/json" },
      body: JSON.stringify({ vector: [1, 0], topK: 2 }),
    });
    const hits = ((await res.json()) as { result: Array<{ id: string }> }).result;
    expect(hits.map((h) => h.id)).toEqual([`item-${VECTOR_BATCH + 4}`, `item-${VECTOR_BATCH + 3}`]);
    await publisher.activate("v-test");
    expect(edge.requests.at(-1)).toMatchObject({ method: "PUT", path: "/v1/admin/models/active", body: { version: "v-test" } });
  });

  it("refuses a vector-store version when no vector store is configured, before writing its manifest", async () => {
    edge.requests.length = 0;
    const publisher = createEdgeModelPublisher({ edgeUrl: edge.url, edgeAdminToken: "tok", signingKey: SIGNING });
    await expect(publisher.publish(candidate(true))).rejects.toThrow(PublishError);
    expect(edge.requests.some((r) => r.path.endsWith("/manifest"))).toBe(false);
  });
});
