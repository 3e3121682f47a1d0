/**
 * Tiny but real model versions for the workerd tests: ONNX graphs the edge actually runs,
 * small enough that every expected number can be worked out by hand in the test.
 *
 * Retrieval and fold-in use the shared builders (models/onnx/retrieval-graph.ts) with one
 * factor, where the iALS fold-in is a division: x = (1 + αr)·y_h / (Σy² + λ + αr·y_h²).
 * With α = λ = 1 and a history of item b at strength 1:
 *   v1, y = [1, 2, −1]:  x = 2·2 / (6 + 1 + 4) = 4/11,  scores x·y = [4/11, 8/11, −4/11]
 *   v2, y = [−1, 1, 3]:  x = 2·1 / (11 + 1 + 1) = 2/13, scores = [−2/13, 2/13, 6/13]
 * The ranker is one hand-written tree over the edge's feature columns, answering 1.25,
 * 10.25 or 20.25 (RANKER_CASES).
 */
import { env } from "cloudflare:test";
import { toEdgeItemRecord } from "../../models/catalog.js";
import { keys } from "../../models/feature-keys.js";
import { redisClient } from "../features/redis-client.js";
import { expect, vi } from "vitest";
import { FEATURE_NAMES, featureSpecHash } from "../../models/feature-spec.js";
import { sha256OfBytes } from "../../models/hash.js";
import { ACTIVE_POINTER_KEY, MANIFEST_FILE, artifactKey, type ActivePointer, type ArtifactRole, type Manifest } from "../../models/model-manifest.js";
import { signManifest, signingKey, type SigningKey } from "../../models/manifest-signature.js";
import { buildRankerGraph } from "../../models/onnx/ranker-graph.js";
import { buildFoldInGraph, buildFoldInRetrievalGraph } from "../../models/onnx/retrieval-graph.js";
import { retrieve, type ModelSessions } from "../models/inference.js";
import type { InferenceSession } from "../onnx/ort-runtime.js";
import { api } from "./fixtures.js";

export const V1_FACTORS: [number, number, number] = [1, 2, -1];
export const V2_FACTORS: [number, number, number] = [-1, 1, 3];

async function expectRetrieval(model: ModelSessions, indices: number[], all: number[]): Promise<void> {
  const r = await retrieve(model, [{ index: 1, strength: 1 }], [2, 0, 1]);
  expect(r.indices).toEqual(indices);
  r.scores.forEach((s, i) => expect(s).toBeCloseTo(all[indices[i]!]!, 5));
  expect(r.itemScores).toHaveLength(3);
  [2, 0, 1].forEach((row, k) => expect(r.itemScores[k]).toBeCloseTo(all[row]!, 5));
  expect((await retrieve(model, [{ index: 1, strength: 1 }], [])).itemScores).toHaveLength(0);
}
/** Asserts the model answers as a version built from V1_FACTORS (V2_FACTORS) must. */
export const expectV1 = (m: ModelSessions) => expectRetrieval(m, [1, 0], [4 / 11, 8 / 11, -4 / 11]);
export const expectV2 = (m: ModelSessions) => expectRetrieval(m, [2, 1], [-2 / 13, 2 / 13, 6 / 13]);

/**
 * Counts InferenceSession.run calls per session from now on (every session shares one
 * prototype), so a test can tell whether a version was run (warmed) before it served.
 */
export function countRuns(anySession: InferenceSession): (session: InferenceSession | null) => number {
  const spy = vi.spyOn(Object.getPrototypeOf(anySession) as InferenceSession, "run");
  return (session) => spy.mock.contexts.filter((c) => c === session).length;
}

const F = FEATURE_NAMES.length;
const row = (f0: number, f1: number) => [f0, f1, ...new Array<number>(F - 2).fill(0)];

/** Feature rows (this edge's full feature width) and what the test ranker answers for them. */
export const RANKER_CASES: Array<{ row: number[]; score: number }> = [
  { row: row(0, 0), score: 1.25 },
  { row: row(1, 1), score: 10.25 },
  { row: row(1, 3), score: 20.25 },
];

/**
 * One tree, base 0.25:  f0 ≤ 0.5 → 1;  else f1 ≤ 2 → 10;  else 20.  Built by the shared
 * ranker builder; `featureCount` other than the edge's width gives a graph that loads but
 * fails its first run, which is how tests build a version that must never be served.
 */
export function rankerGraph(featureCount = F): Uint8Array {
  return buildRankerGraph({
    featureCount,
    baseScore: 0.25,
    trees: [
      {
        nodes: [{ feature: 0, threshold: 0.5, left: 1, right: 2 }, { value: 1 }, { feature: 1, threshold: 2, left: 3, right: 4 }, { value: 10 }, { value: 20 }],
      },
    ],
  });
}

export interface VersionFile {
  name: string;
  role: ArtifactRole;
  bytes: Uint8Array;
}

export interface TestVersion {
  version: string;
  manifest: Manifest;
  files: VersionFile[];
}

/** first_seen of item a; b and c are unknown (−1). */
export const FIRST_SEEN_A = Date.UTC(2026, 0, 1);

export const FOLD_IN = { alpha: 1, regularization: 1 } as const;

/**
 * A version over items ["a", "b", "c"] with one factor per item (`factors`).
 * With history b (row 1) at strength 1 and y = factors:
 *   x = 2·y_b / (Σy² + 1 + y_b²), scores = x·y.
 */
export async function buildTestVersion(
  version: string,
  factors: [number, number, number],
  opts: { path?: "in_process" | "vector_store"; rankerFeatures?: number; ranker?: boolean; featureSpecHash?: string; allScoresOutput?: boolean } = {},
): Promise<TestVersion> {
  const y = Float32Array.from(factors);
  const path = opts.path ?? "in_process";
  const enc = new TextEncoder();
  const files: VersionFile[] = [
    path === "in_process"
      ? {
          name: "retrieval.onnx",
          role: "retrieval",
          bytes: buildFoldInRetrievalGraph(y, { factors: 1, ...FOLD_IN, k: 2, allScoresOutput: opts.allScoresOutput }),
        }
      : { name: "fold-in.onnx", role: "fold_in", bytes: buildFoldInGraph(y, { factors: 1, ...FOLD_IN }) },
    { name: "items.json", role: "items", bytes: enc.encode(JSON.stringify({ items: ["a", "b", "c"], first_seen: [FIRST_SEEN_A, -1, -1] })) },
    {
      name: "neighbours.json",
      role: "neighbours",
      bytes: enc.encode(
        JSON.stringify({
          similar: {
            a: [
              ["b", 0.5],
              ["c", 0.25],
            ],
          },
          bought_together: { b: [["c", 0.75]] },
        }),
      ),
    },
  ];
  if (opts.ranker !== false) files.push({ name: "ranker.onnx", role: "ranker", bytes: rankerGraph(opts.rankerFeatures) });
  const manifest: Manifest = {
    version,
    created_at: new Date().toISOString(),
    feature_spec_hash: opts.featureSpecHash ?? (await featureSpecHash()),
    catalog_size: 3,
    retrieval: { path, factors: 1, ...FOLD_IN, strength: { kind: "linear" }, event_weights: { view: 1 }, top_k: 2 },
    ranker: opts.ranker === false ? null : { trees: 1, features: [...FEATURE_NAMES] },
    files: await Promise.all(files.map(async (f) => ({ name: f.name, role: f.role, sha256: await sha256OfBytes(f.bytes), bytes: f.bytes.length }))),
  };
  return { version, manifest, files };
}

/** The key the test edge verifies manifests with (MODEL_SIGNING_KEY of the test bindings). */
export function testSigningKey(): Promise<SigningKey> {
  return signingKey(env.MODEL_SIGNING_KEY!);
}

/** The manifest as the backend would send it: signed with the test key unless it carries a signature already. */
export async function signed(manifest: Manifest): Promise<Manifest> {
  return manifest.signature ? manifest : signManifest(manifest, await testSigningKey());
}

/** Writes a version straight into R2, as a backend publisher with bucket access would. */
export async function storeVersion(v: TestVersion): Promise<string> {
  for (const f of v.files) await env.ARTIFACTS.put(artifactKey(v.version, f.name), f.bytes);
  const manifestBytes = new TextEncoder().encode(JSON.stringify(await signed(v.manifest)));
  await env.ARTIFACTS.put(artifactKey(v.version, MANIFEST_FILE), manifestBytes);
  return sha256OfBytes(manifestBytes);
}

/** Points KV at a version directly (what a publisher, or an operator by hand, could do). */
export async function writePointer(version: string, manifestSha256: string): Promise<ActivePointer> {
  const pointer = { version, manifest_sha256: manifestSha256, activated_at: new Date().toISOString() };
  await env.CONFIG.put(ACTIVE_POINTER_KEY, JSON.stringify(pointer));
  return pointer;
}

/** A call to the admin API with the edge admin token (or `token`, or none with null). */
export function adminApi(path: string, init: RequestInit & { json?: unknown; token?: string | null } = {}): Promise<Response> {
  const { token, ...rest } = init;
  return api(path, { ...rest, key: token === undefined ? (env.EDGE_ADMIN_TOKEN ?? null) : token });
}

/** Uploads every file of a version through the admin API (not its manifest); throws on any non-201. */
export async function uploadFiles(v: TestVersion): Promise<void> {
  for (const f of v.files) {
    const res = await adminApi(`/v1/admin/models/${v.version}/files/${f.name}`, {
      method: "PUT",
      body: f.bytes,
      headers: { "content-type": "application/octet-stream", "x-content-sha256": await sha256OfBytes(f.bytes) },
    });
    if (res.status !== 201) throw new Error(`upload ${f.name}: ${res.status} ${await res.text()}`);
  }
}

/** Uploads every file and the manifest through the admin API; throws on any non-201. */
export async function publishVersion(v: TestVersion): Promise<string> {
  await uploadFiles(v);
  const res = await adminApi(`/v1/admin/models/${v.version}/manifest`, { method: "PUT", json: await signed(v.manifest) });
  if (res.status !== 201) throw new Error(`manifest: ${res.status} ${await res.text()}`);
  return (await res.json<{ manifest_sha256: string }>()).manifest_sha256;
}

/** Catalog records for synthetic items, as the backend's catalog sync writes them: the edge serves only catalog items. */
export async function writeCatalogRecords(itemIds: Iterable<string>): Promise<void> {
  const redis = redisClient(env, 5_000);
  const p = redis.pipeline();
  for (const id of new Set(itemIds)) p.set(keys.item(id), JSON.stringify(toEdgeItemRecord({ item_id: id, title: `Item ${id}`, tags: [] })));
  await p.exec();
}
