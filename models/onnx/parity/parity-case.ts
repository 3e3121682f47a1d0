/**
 * The fixed inputs of the edge/backend parity check: a retrieval graph with fold-in over
 * 300 items × 16 factors, and a 40-tree ranker, built from a seed by the shared builders.
 * Both runtimes build the same bytes from this file; the backend's onnxruntime-node
 * outputs are committed next to it (expected.json, written by parity.test.ts with
 * UPDATE_PARITY=1) and the workerd test holds onnxruntime-web to them.
 */
import { FEATURE_NAMES } from "../../feature-spec.js";
import { mulberry32 } from "../../prng.js";
import type { RegressionTree, TreeEnsemble, TreeNode } from "../../ranker-model.js";
import { buildRankerGraph } from "../ranker-graph.js";
import { buildFoldInRetrievalGraph } from "../retrieval-graph.js";

export const PARITY_TOLERANCE = 1e-5;
const ITEMS = 300;
const FACTORS = 16;
const TREES = 40;
const ROWS = 200;

export interface ParityCase {
  retrieval: Uint8Array;
  histories: Array<{ items: number[]; strengths: number[] }>;
  /** Every row, so the graph's item_scores are all the scores, in item order. */
  scoreItems: number[];
  ranker: Uint8Array;
  features: Float32Array;
  rows: number;
}

function randomTree(rand: () => number, depth: number, width: number): RegressionTree {
  const nodes: TreeNode[] = [];
  const grow = (level: number): number => {
    const at = nodes.length;
    if (level === depth) {
      nodes.push({ value: Math.fround(rand() - 0.5) });
      return at;
    }
    nodes.push({ feature: 0, threshold: 0, left: 0, right: 0 });
    const left = grow(level + 1);
    const right = grow(level + 1);
    nodes[at] = { feature: Math.floor(rand() * width), threshold: Math.fround(rand() * 2 - 0.5), left, right };
    return at;
  };
  grow(0);
  return { nodes };
}

export function parityCase(): ParityCase {
  const rand = mulberry32(20261122);
  const factors = Float32Array.from({ length: ITEMS * FACTORS }, () => (rand() - 0.5) * 0.4);
  // Frequency-scaled λ (ν = 1, λ̄ = 0.01·300 = 3): the graph then holds every node the
  // constant-λ graph has, plus the per-user λ (ReduceSum, Pow), so both kinds are covered.
  const retrieval = buildFoldInRetrievalGraph(factors, { factors: FACTORS, alpha: 2, regularization: 0.01, regularizationExponent: 1, k: 20 });
  const histories = [1, 4, 25].map((n) => {
    const items = [...new Set(Array.from({ length: n }, () => Math.floor(rand() * ITEMS)))];
    return { items, strengths: items.map(() => 0.25 + rand() * 2) };
  });
  const width = FEATURE_NAMES.length;
  const ensemble: TreeEnsemble = {
    featureCount: width,
    baseScore: 0.125,
    trees: Array.from({ length: TREES }, () => randomTree(rand, 4, width)),
  };
  const features = Float32Array.from({ length: ROWS * width }, () => Math.fround(rand() * 2 - 0.5));
  return { retrieval, histories, scoreItems: Array.from({ length: ITEMS }, (_, i) => i), ranker: buildRankerGraph(ensemble), features, rows: ROWS };
}

/** What each runtime reports: per history the user vector and all scores (item_scores of every row); the ranker's scores. */
export interface ParityOutputs {
  userVectors: number[][];
  allScores: number[][];
  rankerScores: number[];
}

export function maxDifference(a: ParityOutputs, b: ParityOutputs): number {
  let worst = 0;
  const pairs: Array<[number[], number[]]> = [
    ...a.userVectors.map((v, i): [number[], number[]] => [v, b.userVectors[i]!]),
    ...a.allScores.map((v, i): [number[], number[]] => [v, b.allScores[i]!]),
    [a.rankerScores, b.rankerScores],
  ];
  for (const [x, y] of pairs) {
    if (x.length !== y?.length) return Infinity;
    x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]!))));
  }
  return worst;
}
