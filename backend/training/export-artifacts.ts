/**
 * Turns a fitted pipeline into the files of a model version and their manifest
 * (models/model-manifest.ts): ONNX graphs for retrieval and ranking, the item table, the
 * neighbour lists and the catalog snapshot. Pure apart from hashing, so the trainer, the tests and the CLI
 * produce byte-identical artifacts for the same model.
 *
 * Retrieval path: the in-process graph embeds every item vector (items × factors × 4
 * bytes). Above `inProcessMaxBytes` the version is exported for the vector store instead
 * (fold-in graph only; the publisher upserts the item vectors to Upstash Vector).
 */
import { CATALOG_CLOCK_SKEW_MS } from "../../models/catalog-changes.js";
import { DEFAULT_EVENT_WEIGHTS } from "../../models/events.js";
import { featureSpecHash, FEATURE_NAMES } from "../../models/feature-spec.js";
import { sha256OfBytes } from "../../models/hash.js";
import { toEdgeItemRecord, type CatalogItem } from "../../models/catalog.js";
import { ManifestSchema, type ArtifactRole, type CatalogFile, type Manifest, type NeighboursFile, type RetrievalPath } from "../../models/model-manifest.js";
import { encodeItemWeights } from "../../models/item-weights.js";
import { buildRankerGraph } from "../../models/onnx/ranker-graph.js";
import { buildFoldInGraph, buildFoldInRetrievalGraph } from "../../models/onnx/retrieval-graph.js";
import type { PipelineModel } from "./pipeline.js";

/**
 * 16 MiB of item vectors (65k items at 64 factors). Measured (bench/edge-onnx.ts):
 * onnxruntime-web's heap grows by about 2.8× the graph for a retrieval graph (model
 * copy, initializer, allocation slack) on top of its 16 MiB start, the bytes read from
 * R2 sit in JS while the session is created, and during a swap two versions coexist —
 * all inside a 128 MB isolate. Larger catalogs go to the vector store.
 */
export const DEFAULT_IN_PROCESS_MAX_BYTES = 16 * 1024 * 1024;
/** Candidates the retrieval graph returns. */
export const RETRIEVAL_TOP_K = 100;

export interface ArtifactFile {
  name: string;
  role: ArtifactRole;
  bytes: Uint8Array;
  sha256: string;
}

export interface ExportedVersion {
  manifest: Manifest;
  files: ArtifactFile[];
  /** Set for the vector-store path: what the publisher upserts (namespace = version). */
  vectors: { ids: string[]; factors: number; values: Float32Array } | null;
}

export interface ExportOptions {
  version: string;
  createdAt?: Date;
  inProcessMaxBytes?: number;
  eventWeights?: Readonly<Record<string, number>>;
  /** The catalog as training read it, and when that read began (epoch ms): shipped as catalog.json. */
  catalog?: { items: readonly CatalogItem[]; readAt: number };
}

/**
 * Above this many items no catalog.json ships and the edge reads every record live: the
 * parsed records cost the isolate about 200 bytes each, next to a retrieval graph of at
 * most 16 MiB.
 */
export const CATALOG_SNAPSHOT_MAX_ITEMS = 65_536;

/** The snapshot's entries in item-id order; `taken_at` allows for a writer's clock running behind (CATALOG_CLOCK_SKEW_MS). */
export function catalogFile(items: readonly CatalogItem[], readAt: number): CatalogFile {
  const sorted = [...items].sort((a, b) => (a.item_id < b.item_id ? -1 : a.item_id > b.item_id ? 1 : 0));
  return {
    taken_at: Math.max(0, readAt - CATALOG_CLOCK_SKEW_MS),
    items: sorted.map((item) => {
      const r = toEdgeItemRecord(item);
      return [item.item_id, r.title, r.category, r.price, r.available];
    }),
  };
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** Five significant digits are plenty for ordering and summing similarities, at a third of the bytes. */
function compactLists(lists: ReadonlyMap<string, Array<[string, number]>>): Record<string, Array<[string, number]>> {
  const out: Record<string, Array<[string, number]>> = {};
  for (const [id, list] of lists) if (list.length > 0) out[id] = list.map(([n, s]) => [n, Number(s.toPrecision(5))]);
  return out;
}

export function retrievalPathFor(items: number, factors: number, maxBytes: number): RetrievalPath {
  return items * factors * 4 <= maxBytes ? "in_process" : "vector_store";
}

export async function exportVersion(model: PipelineModel, options: ExportOptions): Promise<ExportedVersion> {
  const r = model.retrieval;
  const ials = r.params.ials;
  const n = r.itemIds.length;
  const path = retrievalPathFor(n, ials.factors, options.inProcessMaxBytes ?? DEFAULT_IN_PROCESS_MAX_BYTES);
  const limits = model.params.candidates;
  // The retrieval graph's TopK must hand the edge as many as the version's lists take.
  const topK = Math.min(Math.max(RETRIEVAL_TOP_K, limits.retrieval), n);
  const exponent = ials.regularizationExponent ?? 0;
  const solve = { factors: ials.factors, alpha: ials.alpha, regularization: ials.regularization, regularizationExponent: exponent };
  const raw: Array<Omit<ArtifactFile, "sha256">> = [
    path === "in_process"
      ? { name: "retrieval.onnx", role: "retrieval", bytes: buildFoldInRetrievalGraph(r.itemFactors, { ...solve, k: topK }) }
      : { name: "fold-in.onnx", role: "fold_in", bytes: buildFoldInGraph(r.itemFactors, solve) },
    {
      name: "items.json",
      role: "items",
      bytes: json({
        items: r.itemIds,
        first_seen: r.itemIds.map((id) => model.facts.get(id)?.firstSeen ?? -1),
        ...(model.popularity ? { popular: model.popularity.popular, trending: model.popularity.trending } : {}),
      }),
    },
    {
      name: "neighbours.json",
      role: "neighbours",
      bytes: json({
        similar: compactLists(model.similar),
        bought_together: compactLists(model.boughtTogether),
      } satisfies NeighboursFile),
    },
  ];
  const catalog = options.catalog;
  if (catalog && catalog.items.length <= CATALOG_SNAPSHOT_MAX_ITEMS) {
    raw.push({ name: "catalog.json", role: "catalog", bytes: json(catalogFile(catalog.items, catalog.readAt)) });
  }
  if (model.ranker) raw.push({ name: "ranker.onnx", role: "ranker", bytes: buildRankerGraph(model.ranker) });
  if (model.scorer === "ease" && model.ease) {
    // Both tables index items.json's rows; they are built from the same positives, sorted.
    if (model.ease.itemIds.length !== n || model.ease.itemIds.some((id, i) => id !== r.itemIds[i])) {
      throw new Error("EASE and iALS were fitted on different item sets; cannot share items.json");
    }
    raw.push({ name: "item-weights.bin", role: "item_weights", bytes: encodeItemWeights(model.ease.table) });
  }
  const files = await Promise.all(raw.map(async (f) => ({ ...f, sha256: await sha256OfBytes(f.bytes) })));
  const manifest = ManifestSchema.parse({
    version: options.version,
    created_at: (options.createdAt ?? new Date()).toISOString(),
    feature_spec_hash: await featureSpecHash(),
    catalog_size: n,
    retrieval: {
      path,
      factors: ials.factors,
      alpha: ials.alpha,
      regularization: ials.regularization,
      ...(exponent !== 0 ? { regularization_exponent: exponent } : {}),
      strength: r.params.scaling,
      event_weights: { ...DEFAULT_EVENT_WEIGHTS, ...options.eventWeights },
      top_k: topK,
    },
    scorer:
      model.scorer === "ease" && model.ease
        ? { kind: "ease", lambda: model.ease.lambda, dropout: model.ease.dropout, keep: model.ease.table.keep }
        : { kind: "ials" },
    ordering: model.ordering,
    candidates: { ...limits },
    ranker: model.ranker ? { trees: model.ranker.trees.length, features: [...FEATURE_NAMES] } : null,
    files: files.map(({ name, role, sha256, bytes }) => ({ name, role, sha256, bytes: bytes.byteLength })),
  });
  return { manifest, files, vectors: path === "vector_store" ? { ids: r.itemIds, factors: ials.factors, values: r.itemFactors } : null };
}
