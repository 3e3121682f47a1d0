/**
 * LambdaMART: gradient-boosted regression trees trained on LambdaRank gradients, for
 * re-ranking a few hundred candidates per request by graded relevance.
 *
 * References
 * - C. J. C. Burges, "From RankNet to LambdaRank to LambdaMART: An Overview",
 *   Microsoft Research Technical Report MSR-TR-2010-82 (2010). Sections 4–7.
 * - J. H. Friedman, "Greedy Function Approximation: A Gradient Boosting Machine",
 *   Annals of Statistics 29(5), 2001. Boosting as functional gradient descent, with a
 *   Newton step per leaf (his "TreeBoost", section 4.4–4.5).
 * - The histogram / best-first tree growth follows the design made popular by
 *   LightGBM (Ke et al., NeurIPS 2017) and XGBoost's `hist` method (Chen & Guestrin,
 *   KDD 2016, whose G²/(H+λ) split gain we use).
 *
 * Algorithm
 * For each query, sort its documents by the current score F. For every pair (i, j)
 * with label_i > label_j and at least one of them in the top k, the pair's RankNet
 * cost is C_ij = |ΔNDCG@k_ij| · log(1 + exp(−σ(s_i − s_j))), where |ΔNDCG@k_ij| is how
 * much NDCG@k would change if i and j swapped places (the LambdaRank weighting, which
 * makes the smooth pairwise cost track the non-smooth metric). With ρ_ij =
 * 1 / (1 + exp(σ(s_i − s_j))):
 *   ∂C/∂s_i = −σ ρ_ij |ΔNDCG|,   ∂C/∂s_j = +σ ρ_ij |ΔNDCG|,
 *   ∂²C/∂s_i² = ∂²C/∂s_j² = σ² ρ_ij (1 − ρ_ij) |ΔNDCG|.
 * Each document's gradient g and hessian h are the sums over its pairs (Burges calls
 * −g the "lambda"). One regression tree is then grown on (g, h) and each leaf gets the
 * Newton value −ΣG / (ΣH + λ), scaled by the learning rate (Burges, Algorithm 1;
 * Friedman's TreeBoost). σ = 1 throughout, as in the overview.
 *
 * Trees
 * Features are bucketed once into at most `bins` quantile bins whose upper edges are
 * actual float32 data values, so a split "bin ≤ b" during training and "x ≤ edge_b"
 * at inference are the same test on every training row. Trees grow best-first (the
 * leaf with the largest gain splits next) up to `maxLeaves`, scoring splits from
 * per-leaf gradient histograms; the larger child's histogram is the parent's minus the
 * smaller child's, so each level costs one pass over the smaller half of the rows.
 * Gain = G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ), λ = `l2`.
 *
 * Complexity per tree: O(Σ_q k·n_q) for the lambdas, O(rows · features) for the root
 * histogram plus the smaller-child passes, O(leaves · features · bins) for split search.
 *
 * Conventions shared with the ONNX export (models/onnx/ranker-graph.ts): a split sends
 * a row LEFT when x ≤ threshold (ONNX BRANCH_LEQ), thresholds and leaf values are
 * float32, and NaN goes RIGHT (a comparison with NaN is false, and the exporter does
 * not set nodes_missing_value_tracks_true). Training data must be finite.
 */
import { compileEnsemble, walk, type RegressionTree, type TreeEnsemble, type TreeNode } from "../../models/ranker-model.js";
export { checkTree, compileEnsemble, isLeaf, predict, predictCompiled } from "../../models/ranker-model.js";
export type { CompiledEnsemble, LeafNode, RegressionTree, SplitNode, TreeEnsemble, TreeNode, ValidationReport } from "../../models/ranker-model.js";
import { Rng } from "./random.js";

export interface RankingDataset {
  /** Row-major [rows, featureCount]. */
  features: Float32Array;
  featureCount: number;
  /** Graded relevance ≥ 0 per row (0 = not relevant). */
  labels: Float32Array;
  /** Query boundaries: rows of query q are [groups[q], groups[q+1]); length = queries + 1. */
  groups: Int32Array;
  /** Optional names, copied into the model so the serving side can check its feature order. */
  featureNames?: readonly string[];
}

export interface LambdaMartParams {
  trees: number;
  learningRate: number;
  maxLeaves: number;
  minRowsInLeaf: number;
  /** Histogram bins per feature, 2..256. */
  bins: number;
  /** The k of the NDCG@k the lambdas optimise and the progress/validation reports use. */
  ndcgAt: number;
  /** Fraction of features each tree may split on (sampled per tree with `seed`). */
  featureFraction?: number;
  seed?: number;
  /** L2 penalty λ on leaf values (in the gain and in −G/(H+λ)). */
  l2?: number;
  /** With a validation set: stop after this many trees without a better validation NDCG. */
  patience?: number;
}

export const DEFAULT_LAMBDAMART: Readonly<Required<LambdaMartParams>> = {
  trees: 100,
  learningRate: 0.1,
  maxLeaves: 15,
  minRowsInLeaf: 20,
  bins: 64,
  ndcgAt: 10,
  featureFraction: 1,
  seed: 1,
  l2: 1,
  patience: 20,
};

export interface LambdaMartProgress {
  /** 1-based number of trees in the model so far. */
  tree: number;
  trees: number;
  trainNdcg: number;
  validationNdcg?: number;
}

type Scores = Float32Array | Float64Array;

/** Splits whose gain is below this are rounding noise, not signal. */
const MIN_SPLIT_GAIN = 1e-10;
const SIGMA = 1;

// ───────────────────────────── validation ─────────────────────────────

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/** Throws a RangeError naming the first inconsistency; training on bad data would fail silently. */
export function validateDataset(ds: RankingDataset, what = "dataset"): void {
  checkPositiveInt(`${what}.featureCount`, ds.featureCount);
  const rows = ds.labels.length;
  if (ds.features.length !== rows * ds.featureCount) {
    throw new RangeError(`${what}.features has ${ds.features.length} values, expected labels.length × featureCount = ${rows * ds.featureCount}`);
  }
  const g = ds.groups;
  if (g.length < 2) throw new RangeError(`${what}.groups must have at least 2 entries (queries + 1), got ${g.length}`);
  if (g[0] !== 0) throw new RangeError(`${what}.groups must start at 0, got ${g[0]}`);
  for (let q = 1; q < g.length; q++) {
    if (g[q]! < g[q - 1]!) throw new RangeError(`${what}.groups must be non-decreasing: groups[${q}] = ${g[q]} < groups[${q - 1}] = ${g[q - 1]}`);
  }
  if (g[g.length - 1] !== rows) {
    throw new RangeError(`${what}.groups must cover all rows: last boundary is ${g[g.length - 1]}, but there are ${rows} rows`);
  }
  for (let r = 0; r < rows; r++) {
    const l = ds.labels[r]!;
    if (!Number.isFinite(l)) throw new RangeError(`${what}.labels[${r}] is not finite (${l})`);
    if (l < 0) throw new RangeError(`${what}.labels[${r}] is negative (${l}); relevance must be ≥ 0`);
  }
  const f = ds.features;
  for (let i = 0; i < f.length; i++) {
    if (!Number.isFinite(f[i]!)) {
      const r = Math.floor(i / ds.featureCount);
      throw new RangeError(`${what}.features row ${r}, feature ${i - r * ds.featureCount} is not finite (${f[i]})`);
    }
  }
  if (ds.featureNames !== undefined && ds.featureNames.length !== ds.featureCount) {
    throw new RangeError(`${what}.featureNames has ${ds.featureNames.length} names for ${ds.featureCount} features`);
  }
}

type ResolvedParams = Required<LambdaMartParams>;

function resolveParams(p: Partial<LambdaMartParams> | undefined): ResolvedParams {
  const r: ResolvedParams = { ...DEFAULT_LAMBDAMART, ...stripUndefined(p ?? {}) };
  checkPositiveInt("trees", r.trees);
  checkPositiveInt("minRowsInLeaf", r.minRowsInLeaf);
  checkPositiveInt("ndcgAt", r.ndcgAt);
  checkPositiveInt("patience", r.patience);
  if (!Number.isSafeInteger(r.maxLeaves) || r.maxLeaves < 2) throw new RangeError(`maxLeaves must be an integer ≥ 2, got ${r.maxLeaves}`);
  if (!Number.isSafeInteger(r.bins) || r.bins < 2 || r.bins > 256) throw new RangeError(`bins must be an integer in 2..256, got ${r.bins}`);
  if (!(r.learningRate > 0 && Number.isFinite(r.learningRate))) throw new RangeError(`learningRate must be a positive number, got ${r.learningRate}`);
  if (!(r.featureFraction > 0 && r.featureFraction <= 1)) throw new RangeError(`featureFraction must be in (0, 1], got ${r.featureFraction}`);
  if (!(r.l2 >= 0 && Number.isFinite(r.l2))) throw new RangeError(`l2 must be a finite number ≥ 0, got ${r.l2}`);
  if (!Number.isFinite(r.seed)) throw new RangeError(`seed must be a number, got ${r.seed}`);
  return r;
}

/** `{ ...defaults, ...{ x: undefined } }` would erase a default; callers pass optional fields through. */
function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ───────────────────────────── NDCG and lambdas ─────────────────────────────

/** 1/log2(rank + 2) for 0-based rank < k, else 0: beyond k a position does not count. */
function discount(rank: number, k: number): number {
  return rank < k ? 1 / Math.log2(rank + 2) : 0;
}

function discountTable(length: number, k: number): Float64Array {
  return Float64Array.from({ length }, (_, r) => discount(r, k));
}

function gain(label: number): number {
  return 2 ** label - 1;
}

/** score desc, then row asc: a total order, so every sort of the same scores agrees. */
function before(scores: Scores, a: number, b: number): boolean {
  const sa = scores[a]!;
  const sb = scores[b]!;
  return sa > sb || (sa === sb && a < b);
}

/** Longest query re-sorted by insertion when its previous order is nearly right (between boosting rounds). */
const INSERTION_SORT_MAX = 512;
/** Longest query sorted by insertion from an arbitrary order. */
const INSERTION_SORT_MAX_COLD = 32;

/**
 * Re-sorts ranked[start..end) (a permutation of those rows) by descending score.
 * Why insertion sort: between two boosting rounds one tree moves scores a little, so
 * last round's order is nearly sorted and this is close to linear, far cheaper than a
 * comparator sort per query per tree. It is quadratic far from sorted, hence the cap.
 */
function resortQuery(scores: Scores, ranked: Int32Array, start: number, end: number, insertionMax = INSERTION_SORT_MAX): void {
  if (end - start > insertionMax) {
    ranked.subarray(start, end).sort((a, b) => scores[b]! - scores[a]! || a - b);
    return;
  }
  for (let i = start + 1; i < end; i++) {
    const row = ranked[i]!;
    let j = i - 1;
    while (j >= start && before(scores, row, ranked[j]!)) {
      ranked[j + 1] = ranked[j]!;
      j--;
    }
    ranked[j + 1] = row;
  }
}

/** Rows start..end-1 ordered by descending score; ties keep row order. Positions are absolute (ranked[start] is the top row). */
function rankByScore(scores: Scores, start: number, end: number): Int32Array {
  const ranked = new Int32Array(end);
  for (let i = start; i < end; i++) ranked[i] = i;
  resortQuery(scores, ranked, start, end, INSERTION_SORT_MAX_COLD);
  return ranked;
}

/** DCG@k of the ideal ordering (labels descending): the NDCG normaliser. */
export function idealDcg(labels: Float32Array, start: number, end: number, k: number): number {
  const sorted = labels.slice(start, end).sort().reverse();
  let dcg = 0;
  for (let p = 0; p < Math.min(k, sorted.length); p++) dcg += gain(sorted[p]!) * discount(p, k);
  return dcg;
}

/**
 * What the lambdas of one query need beyond the scores, precomputed once per fit:
 * labels do not change between rounds, only the order does.
 */
interface QueryTables {
  /** Per row, 2^label − 1. */
  gains: Float64Array;
  /** Per query, ideal DCG@k (0: the query has no relevant row). */
  norms: Float64Array;
  /** discount(rank, k) for ranks up to the longest query. */
  discounts: Float64Array;
  /** Per query, its rows by descending current score. */
  ranked: Int32Array;
}

type RankedRows = Pick<QueryTables, "gains" | "discounts" | "ranked">;

/** The pair loop of lambdaGradients, on a query whose rows are already ranked. */
function rankedLambdas(scores: Scores, t: RankedRows, start: number, end: number, ndcgAt: number, norm: number, outGrad: Scores, outHess: Scores): void {
  outGrad.fill(0, start, end);
  outHess.fill(0, start, end);
  const n = end - start;
  if (n < 2 || norm <= 0) return;
  const { gains, discounts, ranked } = t;
  // Only pairs with at least one member in the top k change NDCG@k.
  const top = Math.min(ndcgAt, n);
  for (let pi = 0; pi < top; pi++) {
    const a = ranked[start + pi]!;
    const ga = gains[a]!;
    const da = discounts[pi]!;
    const sa = scores[a]!;
    for (let pj = pi + 1; pj < n; pj++) {
      const b = ranked[start + pj]!;
      const gb = gains[b]!;
      if (ga === gb) continue;
      const delta = Math.abs((ga - gb) * (da - discounts[pj]!)) / norm;
      // hi is the more relevant row of the pair, lo the other.
      const aHigher = ga > gb;
      const hi = aHigher ? a : b;
      const lo = aHigher ? b : a;
      const diff = aHigher ? sa - scores[b]! : scores[b]! - sa;
      const rho = 1 / (1 + Math.exp(SIGMA * diff));
      const g = SIGMA * rho * delta;
      const h = SIGMA * SIGMA * rho * (1 - rho) * delta;
      outGrad[hi]! -= g;
      outGrad[lo]! += g;
      outHess[hi]! += h;
      outHess[lo]! += h;
    }
  }
}

/**
 * LambdaRank gradient and hessian of the NDCG@k-weighted pairwise cost for the rows of
 * one query, written to outGrad/outHess[start..end) (overwriting them).
 *
 * outGrad is ∂C/∂s, the direction to descend: negative means "raise this score".
 * A query whose labels are all equal, or all zero, has no informative pair and gets
 * zeros. Tied scores rank in row order.
 */
export function lambdaGradients(scores: Scores, labels: Float32Array, start: number, end: number, ndcgAt: number, outGrad: Scores, outHess: Scores): void {
  const gains = new Float64Array(end);
  for (let r = start; r < end; r++) gains[r] = gain(labels[r]!);
  const tables: RankedRows = {
    gains,
    discounts: discountTable(end - start, ndcgAt),
    ranked: rankByScore(scores, start, end),
  };
  rankedLambdas(scores, tables, start, end, ndcgAt, idealDcg(labels, start, end, ndcgAt), outGrad, outHess);
}

function rankedDcg(t: QueryTables, start: number, end: number, k: number): number {
  let dcg = 0;
  for (let p = 0; p < Math.min(k, end - start); p++) dcg += t.gains[t.ranked[start + p]!]! * t.discounts[p]!;
  return dcg;
}

function queryTables(ds: RankingDataset, k: number): QueryTables {
  const { labels, groups } = ds;
  const queries = groups.length - 1;
  const norms = new Float64Array(queries);
  let longest = 0;
  for (let q = 0; q < queries; q++) {
    norms[q] = idealDcg(labels, groups[q]!, groups[q + 1]!, k);
    longest = Math.max(longest, groups[q + 1]! - groups[q]!);
  }
  return {
    gains: Float64Array.from(labels, gain),
    norms,
    discounts: discountTable(longest, k),
    // Identity is the sorted order of all-equal scores (ties by row).
    ranked: Int32Array.from({ length: labels.length }, (_, i) => i),
  };
}

function resortAll(scores: Scores, t: QueryTables, groups: Int32Array, insertionMax = INSERTION_SORT_MAX): void {
  for (let q = 0; q + 1 < groups.length; q++) resortQuery(scores, t.ranked, groups[q]!, groups[q + 1]!, insertionMax);
}

/** Mean NDCG@k from already-ranked queries; queries without a relevant row are left out. */
function meanRankedNdcg(t: QueryTables, groups: Int32Array, k: number): number {
  let sum = 0;
  let counted = 0;
  for (let q = 0; q + 1 < groups.length; q++) {
    if (t.norms[q]! <= 0) continue;
    sum += rankedDcg(t, groups[q]!, groups[q + 1]!, k) / t.norms[q]!;
    counted++;
  }
  return counted === 0 ? 0 : sum / counted;
}

/**
 * Mean NDCG@k over the queries that have at least one relevant row (a query with none
 * has no ideal ordering to compare against, so it is left out rather than counted as
 * 0 or 1). Ties in score keep row order. Returns 0 if no query has a relevant row.
 */
export function ndcgOfQueries(scores: Scores, ds: RankingDataset, k: number): number {
  if (scores.length !== ds.labels.length) throw new RangeError(`scores has ${scores.length} values for ${ds.labels.length} rows`);
  checkPositiveInt("k", k);
  const t = queryTables(ds, k);
  resortAll(scores, t, ds.groups, INSERTION_SORT_MAX_COLD);
  return meanRankedNdcg(t, ds.groups, k);
}

function allGradients(scores: Scores, t: QueryTables, groups: Int32Array, k: number, grad: Float64Array, hess: Float64Array): void {
  for (let q = 0; q + 1 < groups.length; q++) {
    rankedLambdas(scores, t, groups[q]!, groups[q + 1]!, k, t.norms[q]!, grad, hess);
  }
}

// ───────────────────────────── binning ─────────────────────────────

export interface FeatureBins {
  /** Per feature, ascending float32 upper edges: bin b holds x ≤ edges[b] (and > edges[b-1]); the last bin is x > every edge. */
  edges: Float32Array[];
  /** Row-major [rows, featureCount] bin indices. */
  binned: Uint8Array;
  /** Largest bins-per-feature, the histogram stride. */
  maxBins: number;
}

/**
 * Upper edges of up to `bins` quantile bins of one feature. With few distinct values
 * every distinct value but the largest is an edge (an exact split search); otherwise
 * the edges are the values at equally spaced ranks, deduplicated. Edges are data values,
 * so no rounding of a midpoint can move a training row to the other side at inference.
 */
export function quantileEdges(values: Float32Array, bins: number): Float32Array {
  const sorted = values.slice().sort();
  const n = sorted.length;
  const distinct: number[] = [];
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
  // The maximum would send every row left: never a split.
  if (distinct.length <= bins) return Float32Array.from(distinct.slice(0, -1));
  const edges: number[] = [];
  const max = sorted[n - 1]!;
  for (let b = 1; b < bins; b++) {
    const v = sorted[Math.floor((b * n) / bins) - 1]!;
    if (v < max && (edges.length === 0 || v > edges[edges.length - 1]!)) edges.push(v);
  }
  return Float32Array.from(edges);
}

/** Index of the first edge ≥ x, i.e. the bin whose range holds x under "go left when x ≤ edge". */
function binOf(edges: Float32Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function column(ds: RankingDataset, f: number): Float32Array {
  const rows = ds.labels.length;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = ds.features[r * ds.featureCount + f]!;
  return out;
}

export function buildBins(ds: RankingDataset, bins: number): FeatureBins {
  const F = ds.featureCount;
  const rows = ds.labels.length;
  const edges: Float32Array[] = [];
  const binned = new Uint8Array(rows * F);
  for (let f = 0; f < F; f++) {
    const col = column(ds, f);
    const e = quantileEdges(col, bins);
    edges.push(e);
    for (let r = 0; r < rows; r++) binned[r * F + f] = binOf(e, col[r]!);
  }
  return { edges, binned, maxBins: Math.max(...edges.map((e) => e.length + 1)) };
}

// ───────────────────────────── tree growth ─────────────────────────────

interface SplitCandidate {
  feature: number;
  bin: number;
  gain: number;
}

interface GrowingLeaf {
  node: number;
  /** The leaf's rows are order[begin..end). */
  begin: number;
  end: number;
  /** [feature][bin][sumG, sumH, count], stride maxBins. */
  hist: Float64Array;
  sumG: number;
  sumH: number;
  best: SplitCandidate | undefined;
}

interface TreeContext {
  bins: FeatureBins;
  featureCount: number;
  active: Int32Array;
  grad: Float64Array;
  hess: Float64Array;
  params: ResolvedParams;
}

function buildHistogram(ctx: TreeContext, order: Int32Array, begin: number, end: number): Float64Array {
  const F = ctx.featureCount;
  const B = ctx.bins.maxBins;
  const hist = new Float64Array(F * B * 3);
  const { binned } = ctx.bins;
  const { active, grad, hess } = ctx;
  for (let i = begin; i < end; i++) {
    const r = order[i]!;
    const g = grad[r]!;
    const h = hess[r]!;
    const base = r * F;
    for (let a = 0; a < active.length; a++) {
      const f = active[a]!;
      const cell = (f * B + binned[base + f]!) * 3;
      hist[cell]! += g;
      hist[cell + 1]! += h;
      hist[cell + 2]! += 1;
    }
  }
  return hist;
}

function leafScore(g: number, h: number, l2: number): number {
  return (g * g) / (h + l2);
}

/** Best "bin ≤ b" split of one leaf over the active features, or undefined if none gains. */
function bestSplit(ctx: TreeContext, hist: Float64Array, sumG: number, sumH: number, count: number): SplitCandidate | undefined {
  const B = ctx.bins.maxBins;
  const { l2, minRowsInLeaf } = ctx.params;
  if (count < 2 * minRowsInLeaf) return undefined;
  const parent = leafScore(sumG, sumH, l2);
  let best: SplitCandidate | undefined;
  for (let a = 0; a < ctx.active.length; a++) {
    const f = ctx.active[a]!;
    const edges = ctx.bins.edges[f]!.length;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let b = 0; b < edges; b++) {
      const cell = (f * B + b) * 3;
      gl += hist[cell]!;
      hl += hist[cell + 1]!;
      cl += hist[cell + 2]!;
      if (cl < minRowsInLeaf) continue;
      if (count - cl < minRowsInLeaf) break;
      const gain = leafScore(gl, hl, l2) + leafScore(sumG - gl, sumH - hl, l2) - parent;
      if (gain > MIN_SPLIT_GAIN && (best === undefined || gain > best.gain)) best = { feature: f, bin: b, gain };
    }
  }
  return best;
}

/** Stable in-place partition of order[begin..end) by the split; returns the first right index. */
function partition(ctx: TreeContext, order: Int32Array, scratch: Int32Array, leaf: GrowingLeaf, split: SplitCandidate): number {
  const F = ctx.featureCount;
  const { binned } = ctx.bins;
  let left = leaf.begin;
  let right = 0;
  for (let i = leaf.begin; i < leaf.end; i++) {
    const r = order[i]!;
    if (binned[r * F + split.feature]! <= split.bin) order[left++] = r;
    else scratch[right++] = r;
  }
  order.set(scratch.subarray(0, right), left);
  return left;
}

function sumsOf(ctx: TreeContext, order: Int32Array, begin: number, end: number): { g: number; h: number } {
  let g = 0;
  let h = 0;
  for (let i = begin; i < end; i++) {
    g += ctx.grad[order[i]!]!;
    h += ctx.hess[order[i]!]!;
  }
  return { g, h };
}

function makeLeaf(ctx: TreeContext, order: Int32Array, node: number, begin: number, end: number, hist: Float64Array): GrowingLeaf {
  const { g, h } = sumsOf(ctx, order, begin, end);
  return { node, begin, end, hist, sumG: g, sumH: h, best: bestSplit(ctx, hist, g, h, end - begin) };
}

function subtract(parent: Float64Array, child: Float64Array): Float64Array {
  for (let i = 0; i < parent.length; i++) parent[i]! -= child[i]!;
  return parent;
}

interface GrownTree {
  tree: RegressionTree;
  /** Leaves as row ranges of `order`, with their (float32) values, for updating training scores. */
  leaves: { begin: number; end: number; value: number }[];
}

/**
 * Grows one tree best-first on the current gradients. `order` is a permutation of
 * the rows that the tree partitions in place (leaf rows end up contiguous).
 */
function growTree(ctx: TreeContext, order: Int32Array, scratch: Int32Array): GrownTree {
  const nodes: TreeNode[] = [{ value: 0 }];
  const rows = order.length;
  const leaves: GrowingLeaf[] = [makeLeaf(ctx, order, 0, 0, rows, buildHistogram(ctx, order, 0, rows))];
  while (leaves.length < ctx.params.maxLeaves) {
    const pick = pickLeafToSplit(leaves);
    if (pick < 0) break;
    const leaf = leaves[pick]!;
    const split = leaf.best!;
    const mid = partition(ctx, order, scratch, leaf, split);
    const leftNode = nodes.length;
    nodes.push({ value: 0 }, { value: 0 });
    nodes[leaf.node] = { feature: split.feature, threshold: ctx.bins.edges[split.feature]![split.bin]!, left: leftNode, right: leftNode + 1 };
    // Histogram the smaller child from its rows; the larger one is parent − smaller.
    const leftSmaller = mid - leaf.begin <= leaf.end - mid;
    const small = leftSmaller ? buildHistogram(ctx, order, leaf.begin, mid) : buildHistogram(ctx, order, mid, leaf.end);
    const large = subtract(leaf.hist, small);
    const [lh, rh] = leftSmaller ? [small, large] : [large, small];
    leaves.splice(pick, 1, makeLeaf(ctx, order, leftNode, leaf.begin, mid, lh), makeLeaf(ctx, order, leftNode + 1, mid, leaf.end, rh));
  }
  const { learningRate, l2 } = ctx.params;
  const out = leaves.map((l) => ({ begin: l.begin, end: l.end, value: Math.fround((-l.sumG / (l.sumH + l2)) * learningRate) }));
  leaves.forEach((l, i) => (nodes[l.node] = { value: out[i]!.value }));
  return { tree: { nodes }, leaves: out };
}

function pickLeafToSplit(leaves: readonly GrowingLeaf[]): number {
  let pick = -1;
  for (let i = 0; i < leaves.length; i++) {
    const b = leaves[i]!.best;
    if (b !== undefined && (pick < 0 || b.gain > leaves[pick]!.best!.gain)) pick = i;
  }
  return pick;
}

/** Features a tree may use: all of them, or a seeded sample of ⌈fraction·F⌉ (at least 1). */
function sampleFeatures(featureCount: number, fraction: number, rng: Rng): Int32Array {
  const all = Int32Array.from({ length: featureCount }, (_, i) => i);
  if (fraction >= 1) return all;
  const take = Math.max(1, Math.ceil(fraction * featureCount));
  // Partial Fisher–Yates: the first `take` entries are a uniform sample.
  for (let i = 0; i < take; i++) {
    const j = i + rng.int(featureCount - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.subarray(0, take).sort();
}

// ───────────────────────────── boosting ─────────────────────────────

interface EarlyStopping {
  data: RankingDataset;
  scores: Float64Array;
  tables: QueryTables;
  best: number;
  bestTrees: number;
}

/** Adds the new tree to the validation scores; returns the validation NDCG@k with it. */
function scoreValidation(stop: EarlyStopping, tree: RegressionTree, k: number): number {
  const { data, scores, tables } = stop;
  const c = compileEnsemble({ featureCount: data.featureCount, baseScore: 0, trees: [tree] });
  for (let r = 0; r < scores.length; r++) scores[r]! += walk(c, 0, data.features, r * data.featureCount);
  resortAll(scores, tables, data.groups);
  return meanRankedNdcg(tables, data.groups, k);
}

/**
 * Fits a LambdaMART ensemble. Deterministic for a given dataset and params (the seed
 * only drives per-tree feature sampling). Training stops early when no tree can
 * reduce the cost any more (no split gains, all features in play), and, given a
 * validation set, after `patience` trees without a better validation NDCG@k; the
 * returned model then keeps the best prefix and says so in `validation`.
 */
export function fitLambdaMart(
  ds: RankingDataset,
  params?: Partial<LambdaMartParams>,
  onProgress?: (p: LambdaMartProgress) => void,
  validation?: RankingDataset,
): TreeEnsemble {
  const p = resolveParams(params);
  validateDataset(ds, "dataset");
  if (validation !== undefined) {
    validateDataset(validation, "validation");
    if (validation.featureCount !== ds.featureCount) {
      throw new RangeError(`validation.featureCount ${validation.featureCount} differs from the training set's ${ds.featureCount}`);
    }
  }
  const rows = ds.labels.length;
  const bins = buildBins(ds, p.bins);
  const rng = new Rng(p.seed);
  const scores = new Float64Array(rows);
  const grad = new Float64Array(rows);
  const hess = new Float64Array(rows);
  const order = new Int32Array(rows);
  const scratch = new Int32Array(rows);
  const trees: RegressionTree[] = [];
  const stop: EarlyStopping | undefined = validation && {
    data: validation,
    scores: new Float64Array(validation.labels.length),
    tables: queryTables(validation, p.ndcgAt),
    best: -Infinity,
    bestTrees: 0,
  };

  const tables = queryTables(ds, p.ndcgAt);
  for (let t = 0; t < p.trees; t++) {
    // tables.ranked is sorted by the current scores (identity at the start, re-sorted after each tree).
    allGradients(scores, tables, ds.groups, p.ndcgAt, grad, hess);
    for (let i = 0; i < rows; i++) order[i] = i;
    const active = sampleFeatures(ds.featureCount, p.featureFraction, rng);
    const grown = growTree({ bins, featureCount: ds.featureCount, active, grad, hess, params: p }, order, scratch);
    if (grown.leaves.length < 2) {
      // No split gains on these features; with every feature in play no later tree can either.
      if (p.featureFraction >= 1) break;
      continue;
    }
    trees.push(grown.tree);
    for (const leaf of grown.leaves) for (let i = leaf.begin; i < leaf.end; i++) scores[order[i]!]! += leaf.value;
    resortAll(scores, tables, ds.groups);
    const progress: LambdaMartProgress = { tree: trees.length, trees: p.trees, trainNdcg: meanRankedNdcg(tables, ds.groups, p.ndcgAt) };
    if (stop !== undefined) {
      progress.validationNdcg = scoreValidation(stop, grown.tree, p.ndcgAt);
      if (progress.validationNdcg > stop.best) Object.assign(stop, { best: progress.validationNdcg, bestTrees: trees.length });
    }
    onProgress?.(progress);
    if (stop !== undefined && trees.length - stop.bestTrees >= p.patience) break;
  }

  const model: TreeEnsemble = { featureCount: ds.featureCount, baseScore: 0, trees };
  if (ds.featureNames !== undefined) model.featureNames = [...ds.featureNames];
  if (stop !== undefined && trees.length > 0) {
    model.validation = { ndcgAt: p.ndcgAt, bestNdcg: stop.best, trees: stop.bestTrees, treesGrown: trees.length };
    model.trees = trees.slice(0, stop.bestTrees);
  }
  return model;
}
