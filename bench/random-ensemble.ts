/**
 * Seeded random models and inputs for the ONNX benchmarks (bench/edge-onnx.ts and its
 * worker, bench/workerd/onnx-bench-worker.ts). Pure TS with no Node or Workers API, so
 * the driver and the worker build byte-identical graphs from the same seed and nothing
 * large has to be uploaded to the worker.
 *
 * - randomEnsemble: trees grown leaf-wise like LightGBM/LambdaMART (a random leaf is
 *   split until the tree has `leaves` leaves), so depths vary as in a trained model;
 *   thresholds are float32 values in [0, 1), leaf values small normals. With features
 *   uniform on [0, 1) every branch is taken by some rows.
 * - randomFactors: item factors Normal(0, sd), row-major [items, factors].
 * - randomFeatures: uniform [0, 1) candidate features, row-major [rows, features].
 * - benchHistory: the fixed session history the retrieval runs fold in.
 * - ONNX_BENCH, benchRanker, benchRetrieval: the benchmark's set-up and graph bytes.
 */
import { Rng } from "../backend/training/random.js";
import type { RegressionTree, TreeEnsemble, TreeNode } from "../backend/training/lambdamart.js";
import { buildRankerGraph } from "../models/onnx/ranker-graph.js";
import { buildFoldInRetrievalGraph } from "../models/onnx/retrieval-graph.js";

export interface RandomEnsembleSpec {
  trees: number;
  leaves: number;
  features: number;
  seed: number;
}

export function randomEnsemble({ trees, leaves, features, seed }: RandomEnsembleSpec): TreeEnsemble {
  if (!Number.isSafeInteger(leaves) || leaves < 2) throw new RangeError(`leaves must be an integer >= 2, got ${leaves}`);
  const rng = new Rng(seed);
  const out: RegressionTree[] = [];
  for (let t = 0; t < trees; t++) {
    const nodes: TreeNode[] = [{ value: 0 }];
    const open = [0]; // indices of the current leaves
    while (open.length < leaves) {
      const at = rng.int(open.length);
      const i = open[at]!;
      const left = nodes.length;
      const right = left + 1;
      nodes[i] = { feature: rng.int(features), threshold: Math.fround(rng.next()), left, right };
      nodes.push({ value: 0 }, { value: 0 });
      open.splice(at, 1, left, right);
    }
    for (const i of open) nodes[i] = { value: Math.fround(rng.normal(0, 0.1)) };
    out.push({ nodes });
  }
  return { featureCount: features, baseScore: 0, trees: out };
}

export function randomFactors(items: number, factors: number, sd: number, seed: number): Float32Array {
  const out = new Float32Array(items * factors);
  new Rng(seed).fillNormal(out, sd);
  return out;
}

export function randomFeatures(rows: number, features: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * features }, () => rng.next());
}

/** `length` distinct item rows spread over the catalog, with iALS strengths 1..3. */
export function benchHistory(items: number, length: number, seed: number): { items: BigInt64Array; strength: Float32Array } {
  const rng = new Rng(seed);
  const picked = new Set<number>();
  while (picked.size < Math.min(length, items)) picked.add(rng.int(items));
  const rows = [...picked];
  return { items: BigInt64Array.from(rows, (i) => BigInt(i)), strength: Float32Array.from(rows, () => 1 + rng.int(3)) };
}

/** The benchmark's fixed set-up: both sides build their graphs from exactly this. */
export const ONNX_BENCH = {
  // The largest ranker the trainer ships (DEFAULT_PIPELINE: 60 trees of 15 leaves).
  ranker: { trees: 60, leaves: 15, features: 13, candidates: 1000, seed: 7 },
  // scored: the other sources' candidates whose retrieval scores a request asks for (their caps' sum).
  retrieval: { factors: 64, sd: 0.1, k: 100, regularization: 5, alpha: 1, history: 5, scored: 150, seed: 11 },
} as const;

/** Ranker graph bytes and one request's candidate features. */
export function benchRanker(): { bytes: Uint8Array; features: Float32Array; dims: [number, number] } {
  const r = ONNX_BENCH.ranker;
  const bytes = buildRankerGraph(randomEnsemble(r));
  return { bytes, features: randomFeatures(r.candidates, r.features, r.seed + 1), dims: [r.candidates, r.features] };
}

/** Fold-in retrieval graph bytes over `items` random items, the history to fold in and the rows to score. */
export function benchRetrieval(items: number): { bytes: Uint8Array; history: { items: BigInt64Array; strength: Float32Array }; scored: BigInt64Array } {
  const r = ONNX_BENCH.retrieval;
  const factors = randomFactors(items, r.factors, r.sd, r.seed + items);
  const bytes = buildFoldInRetrievalGraph(factors, { factors: r.factors, alpha: r.alpha, regularization: r.regularization, k: r.k });
  return { bytes, history: benchHistory(items, r.history, r.seed), scored: benchHistory(items, r.scored, r.seed + 1).items };
}
