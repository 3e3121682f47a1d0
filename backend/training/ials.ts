/**
 * Implicit-feedback matrix factorisation (iALS) trained by alternating least squares
 * with a conjugate-gradient inner solver.
 *
 * Papers:
 * - Y. Hu, Y. Koren, C. Volinsky, "Collaborative Filtering for Implicit Feedback
 *   Datasets", ICDM 2008 — the model, the objective and the YᵀY trick.
 * - G. Takács, I. Pilászy, D. Tikk, "Applications of the conjugate gradient method for
 *   implicit feedback collaborative filtering", RecSys 2011 — replacing the exact
 *   per-user solve by a few warm-started CG steps.
 *
 * Model. Every user u and item i get an f-dimensional vector x_u, y_i. Every cell of
 * the users × items matrix is a preference p_ui = 1 if r_ui > 0 else 0, held with
 * confidence c_ui = 1 + α·r_ui (r_ui: the event-weighted strength from
 * interaction-matrix.ts; unobserved cells have r = 0, so p = 0 and c = 1).
 *
 * Objective (minimised; what `loss` reports, unnormalised):
 *
 *   L(X, Y) = Σ_{u,i} c_ui (p_ui − x_uᵀ y_i)²  +  λ (Σ_u ‖x_u‖² + Σ_i ‖y_i‖²)
 *
 * The sum runs over all users × items cells, not only the observed ones. It is
 * evaluated in O(nnz·f + (users + items)·f²) by splitting every cell into the
 * "everything is an unobserved zero" part plus a correction on observed cells:
 *
 *   Σ_{u,i} (x_uᵀy_i)² = Σ_u x_uᵀ (YᵀY) x_u = ⟨XᵀX, YᵀY⟩_F
 *   observed (u,i): add c_ui (1 − s)² − s², with s = x_uᵀ y_i
 *   λ Σ‖x_u‖² = λ·trace(XᵀX), likewise for Y.
 *
 * Alternation. With Y fixed, L is a sum of independent quadratics in each x_u whose
 * minimiser solves the normal equations
 *
 *   A_u x_u = b_u,  A_u = YᵀY + Yᵀ(C_u − I)Y + λI = YᵀY + λI + Σ_{i∈I_u} (c_ui − 1) y_i y_iᵀ
 *                   b_u = Yᵀ C_u p_u = Σ_{i∈I_u} c_ui y_i
 *
 * (I_u: the items u interacted with). YᵀY is computed once per half-iteration, so A_u
 * is never formed: CG only needs products A_u·v = (YᵀY + λI)v + Σ_{i∈I_u} (c_ui − 1)(y_iᵀv) y_i,
 * O(f² + n_u·f) each. Then the same for items with X fixed.
 *
 * CG details. Each solve starts from the previous x_u (warm start: after the first
 * iterations it is already close) and takes `cgSteps` steps (Takács et al. find 2–4
 * enough; exact solve would take up to f). Because CG minimises the quadratic over
 * growing Krylov subspaces around the start point, every step can only lower the
 * per-user quadratic, so L is non-increasing across iterations even though no solve is
 * exact (up to float32 rounding of the stored factors). Steps stop early once the
 * residual vanishes; the recurrences run in float64.
 *
 * Complexity per iteration: O(nnz·f·(cgSteps + 1) + (users + items)·f²·(cgSteps + 1))
 * time, O((users + items)·f) memory; the Gram matrices cost O((users + items)·f²/2).
 * Compare O(nnz·f² + (users + items)·f³) for the exact Cholesky solve of the paper.
 *
 * Frequency-scaled regularisation (S. Rendle, W. Krichene, L. Zhang, Y. Koren,
 * "Revisiting the Performance of iALS on Item Recommendation Benchmarks", RecSys 2022,
 * §3.2). With exponent ν > 0 every row gets its own λ, scaled by the total weight of
 * its terms in L:
 *
 *   λ_u = λ · (Σ_i c_ui)^ν = λ · (|items| + α Σ_{i∈I_u} r_ui)^ν,   likewise λ_i over users.
 *
 * Rendle et al. write the loss with weight α₀ on all cells and 1 on observed ones and
 * scale by (|I_u| + α₀|I|)^ν; dividing their loss by α₀ gives this form with α = 1/α₀.
 * ν = 0 is the constant λ of Hu et al. The paper finds ν = 1 best on its benchmarks
 * (with λ then a much smaller number); it keeps heavy users and popular items from
 * being fitted as loosely as the rest. L then uses λ_u‖x_u‖² and λ_i‖y_i‖² in place of
 * λ‖·‖², and every solve stays a positive-definite system.
 *
 * Design follows the shape of the `implicit` library (CSR in, factor matrices out,
 * CG solver with warm start) but the code is written from the papers.
 */
import type { Csr, InteractionMatrix } from "./interaction-matrix.js";
import { choleskyFactor, choleskySolveFactored, frobeniusDot, gram, trace } from "./linalg.js";
import { Rng } from "./random.js";

export interface IalsParams {
  factors: number;
  iterations: number;
  /** λ. */
  regularization: number;
  /** α in c = 1 + α·r. */
  alpha: number;
  /** CG steps per user/item solve. */
  cgSteps: number;
  seed: number;
  /** Evaluate L after every iteration (≈ one extra pass over the data); default true. */
  computeLoss?: boolean;
  /** Standard deviation of the normal initialisation; default 0.01. */
  initScale?: number;
  /** ν of the frequency-scaled λ (header); default 0, the constant λ. */
  regularizationExponent?: number;
}

export interface IalsModel {
  factors: number;
  /** users × factors, row-major, rows in matrix.userIds order. */
  userFactors: Float32Array;
  /** items × factors, row-major, rows in matrix.itemIds order. */
  itemFactors: Float32Array;
  /** L after each iteration (empty when computeLoss is false). */
  loss: number[];
}

export interface IalsProgress {
  iteration: number;
  /** L after this iteration, or null when not computed. */
  loss: number | null;
  userSeconds: number;
  itemSeconds: number;
  lossSeconds: number;
}

/** The parameters the normal equations depend on. */
export type SolveParams = Pick<IalsParams, "factors" | "regularization" | "alpha" | "regularizationExponent">;

/** λ for a row whose observed cells have strength sum `strengthSum`, against `others` cells in all (header). */
export function rowLambda(params: SolveParams, others: number, strengthSum: number): number {
  const nu = params.regularizationExponent ?? 0;
  return nu === 0 ? params.regularization : params.regularization * (others + params.alpha * strengthSum) ** nu;
}

/** Scratch vectors for one CG solve, allocated once per half-iteration. */
export class CgWorkspace {
  readonly x: Float64Array;
  readonly r: Float64Array;
  readonly p: Float64Array;
  readonly ap: Float64Array;
  constructor(f: number) {
    this.x = new Float64Array(f);
    this.r = new Float64Array(f);
    this.p = new Float64Array(f);
    this.ap = new Float64Array(f);
  }
}

/** The fixed side of a half-iteration: its factors, their Gram matrix and the solve settings. */
export interface FixedSide {
  factors: Float32Array;
  /** YᵀY (without λ). */
  gram: Float64Array;
  f: number;
  lambda: number;
  alpha: number;
  cgSteps: number;
  /** The solve settings, for rowLambda when ν ≠ 0 (then `lambda` is only the base λ). */
  solve: SolveParams;
}

/**
 * out = sign·(M + shift·I)·v for the dense f×f Gram matrix M. Four rows at a time:
 * V8 does not vectorise, so what pays is fewer loads per multiply-add (each v[b]
 * serves four rows) and four independent sums the CPU can overlap.
 */
function gramTimes(g: Float64Array, f: number, shift: number, v: Float64Array, out: Float64Array, sign: number): void {
  let a = 0;
  for (; a + 3 < f; a += 4) {
    const r0 = a * f;
    const r1 = r0 + f;
    const r2 = r1 + f;
    const r3 = r2 + f;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let b = 0; b < f; b++) {
      const vb = v[b]!;
      s0 += g[r0 + b]! * vb;
      s1 += g[r1 + b]! * vb;
      s2 += g[r2 + b]! * vb;
      s3 += g[r3 + b]! * vb;
    }
    out[a] = sign * (s0 + shift * v[a]!);
    out[a + 1] = sign * (s1 + shift * v[a + 1]!);
    out[a + 2] = sign * (s2 + shift * v[a + 2]!);
    out[a + 3] = sign * (s3 + shift * v[a + 3]!);
  }
  for (; a < f; a++) {
    let s = shift * v[a]!;
    for (let b = 0; b < f; b++) s += g[a * f + b]! * v[b]!;
    out[a] = sign * s;
  }
}

/** y[off..off+f]ᵀ v, unrolled like gramTimes. */
function rowDot(y: Float32Array, off: number, v: Float64Array, f: number): number {
  const f4 = f & ~3;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let b = 0;
  for (; b < f4; b += 4) {
    s0 += y[off + b]! * v[b]!;
    s1 += y[off + b + 1]! * v[b + 1]!;
    s2 += y[off + b + 2]! * v[b + 2]!;
    s3 += y[off + b + 3]! * v[b + 3]!;
  }
  for (; b < f; b++) s0 += y[off + b]! * v[b]!;
  return s0 + s1 + s2 + s3;
}

/** out += coef · y[off..off+f]. */
function addRow(coef: number, y: Float32Array, off: number, out: Float64Array, f: number): void {
  const f4 = f & ~3;
  let b = 0;
  for (; b < f4; b += 4) {
    out[b] = out[b]! + coef * y[off + b]!;
    out[b + 1] = out[b + 1]! + coef * y[off + b + 1]!;
    out[b + 2] = out[b + 2]! + coef * y[off + b + 2]!;
    out[b + 3] = out[b + 3]! + coef * y[off + b + 3]!;
  }
  for (; b < f; b++) out[b] = out[b]! + coef * y[off + b]!;
}

/** out = (YᵀY + λI)·v + Σ_{k∈row} (c_k − 1)(y_kᵀ v) y_k, the implicit A_u·v. */
function applyA(
  side: FixedSide,
  lambda: number,
  indices: Int32Array,
  values: Float32Array,
  start: number,
  end: number,
  v: Float64Array,
  out: Float64Array,
): void {
  const { f, alpha, factors: y } = side;
  gramTimes(side.gram, f, lambda, v, out, 1);
  for (let k = start; k < end; k++) {
    const off = indices[k]! * f;
    // c − 1 = α·r
    addRow(alpha * values[k]! * rowDot(y, off, v, f), y, off, out, f);
  }
}

/**
 * r = b − A·x for the row's normal equations, in one pass over the row:
 * r = −(YᵀY + λI)x + Σ_k (c_k − (c_k − 1)·y_kᵀx) y_k.
 */
function residual(
  side: FixedSide,
  lambda: number,
  indices: Int32Array,
  values: Float32Array,
  start: number,
  end: number,
  x: Float64Array,
  r: Float64Array,
): void {
  const { f, alpha, factors: y } = side;
  gramTimes(side.gram, f, lambda, x, r, -1);
  for (let k = start; k < end; k++) {
    const off = indices[k]! * f;
    const cMinus1 = alpha * values[k]!;
    addRow(1 + cMinus1 - cMinus1 * rowDot(y, off, x, f), y, off, r, f);
  }
}

function dot64(a: Float64Array, b: Float64Array, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[k]! * b[k]!;
  return s;
}

function sumRange(values: Float32Array, start: number, end: number): number {
  let s = 0;
  for (let k = start; k < end; k++) s += values[k]!;
  return s;
}

/** The λ of one row of the solved side: its own with frequency scaling, else the constant. */
function lambdaOfRow(side: FixedSide, values: Float32Array, start: number, end: number): number {
  if ((side.solve.regularizationExponent ?? 0) === 0) return side.lambda;
  return rowLambda(side.solve, side.factors.length / side.f, sumRange(values, start, end));
}

/** Below this squared residual norm the solve is exact to float64 precision for practical purposes. */
const RESIDUAL_FLOOR = 1e-24;

/**
 * Runs up to `steps` CG steps on the row's normal equations, starting from and
 * overwriting ws.x. Exported for tests (comparison with a direct solve).
 */
export function cgSolve(side: FixedSide, indices: Int32Array, values: Float32Array, start: number, end: number, steps: number, ws: CgWorkspace): void {
  const { f } = side;
  const { x, r, p, ap } = ws;
  const lambda = lambdaOfRow(side, values, start, end);
  residual(side, lambda, indices, values, start, end, x, r);
  p.set(r);
  let rs = dot64(r, r, f);
  for (let step = 0; step < steps && rs > RESIDUAL_FLOOR; step++) {
    applyA(side, lambda, indices, values, start, end, p, ap);
    const pAp = dot64(p, ap, f);
    if (!(pAp > 0)) break; // only reachable through rounding when p ≈ 0
    const a = rs / pAp;
    for (let k = 0; k < f; k++) {
      x[k] = x[k]! + a * p[k]!;
      r[k] = r[k]! - a * ap[k]!;
    }
    const rsNext = dot64(r, r, f);
    const beta = rsNext / rs;
    for (let k = 0; k < f; k++) p[k] = r[k]! + beta * p[k]!;
    rs = rsNext;
  }
}

/** Solves every row of `csr` against the fixed side, warm-starting from and writing to `solved`. */
function solveRows(csr: Csr, side: FixedSide, solved: Float32Array): void {
  const { f } = side;
  const ws = new CgWorkspace(f);
  const { indptr, indices, values } = csr;
  for (let row = 0; row < csr.rows; row++) {
    const off = row * f;
    for (let k = 0; k < f; k++) ws.x[k] = solved[off + k]!;
    cgSolve(side, indices, values, indptr[row]!, indptr[row + 1]!, side.cgSteps, ws);
    for (let k = 0; k < f; k++) solved[off + k] = ws.x[k]!;
  }
}

export function fixedSide(factors: Float32Array, params: SolveParams & { cgSteps: number }, precomputedGram?: Float64Array): FixedSide {
  const f = params.factors;
  const rows = factors.length / f;
  return {
    factors,
    gram: precomputedGram ?? gram(factors, rows, f, new Float64Array(f * f)),
    f,
    lambda: params.regularization,
    alpha: params.alpha,
    cgSteps: params.cgSteps,
    solve: { factors: f, regularization: params.regularization, alpha: params.alpha, regularizationExponent: params.regularizationExponent ?? 0 },
  };
}

/**
 * One half-iteration: updates every row of `solved` (the rows of `csr`) with `fixed`
 * held constant. fitIals alternates this on users and items; exported because it is
 * also a batch fold-in for many users against a published item matrix.
 */
export function alsHalfStep(csr: Csr, fixed: Float32Array, solved: Float32Array, params: SolveParams & { cgSteps: number }): void {
  solveRows(csr, fixedSide(fixed, params), solved);
}

/** L(X, Y) given both Gram matrices (see the header for the decomposition). */
function lossWithGrams(byUser: Csr, x: Float32Array, y: Float32Array, gramX: Float64Array, gramY: Float64Array, params: SolveParams): number {
  const { factors: f, alpha, regularization: lambda } = params;
  let loss = frobeniusDot(gramX, gramY);
  loss += (params.regularizationExponent ?? 0) === 0 ? lambda * (trace(gramX, f) + trace(gramY, f)) : scaledPenalty(byUser, x, y, params);
  const { indptr, indices, values } = byUser;
  for (let u = 0; u < byUser.rows; u++) {
    const xOff = u * f;
    for (let k = indptr[u]!; k < indptr[u + 1]!; k++) {
      const yOff = indices[k]! * f;
      let s = 0;
      for (let b = 0; b < f; b++) s += x[xOff + b]! * y[yOff + b]!;
      const c = 1 + alpha * values[k]!;
      loss += c * (1 - s) * (1 - s) - s * s;
    }
  }
  return loss;
}

function squaredNorm(v: Float32Array, off: number, f: number): number {
  let s = 0;
  for (let b = 0; b < f; b++) s += v[off + b]! * v[off + b]!;
  return s;
}

/** Σ_u λ_u‖x_u‖² + Σ_i λ_i‖y_i‖² with the frequency-scaled λ. */
function scaledPenalty(byUser: Csr, x: Float32Array, y: Float32Array, params: SolveParams): number {
  const f = params.factors;
  const { indptr, indices, values } = byUser;
  const itemSums = new Float64Array(byUser.cols);
  let penalty = 0;
  for (let u = 0; u < byUser.rows; u++) {
    for (let k = indptr[u]!; k < indptr[u + 1]!; k++) itemSums[indices[k]!]! += values[k]!;
    penalty += rowLambda(params, byUser.cols, sumRange(values, indptr[u]!, indptr[u + 1]!)) * squaredNorm(x, u * f, f);
  }
  for (let i = 0; i < byUser.cols; i++) penalty += rowLambda(params, byUser.rows, itemSums[i]!) * squaredNorm(y, i * f, f);
  return penalty;
}

/** The iALS objective L(X, Y) (header), computed without visiting unobserved cells. */
export function ialsLoss(byUser: Csr, userFactors: Float32Array, itemFactors: Float32Array, params: SolveParams): number {
  const f = params.factors;
  const gx = gram(userFactors, byUser.rows, f, new Float64Array(f * f));
  const gy = gram(itemFactors, byUser.cols, f, new Float64Array(f * f));
  return lossWithGrams(byUser, userFactors, itemFactors, gx, gy, params);
}

function validate(params: IalsParams): void {
  const positiveInt = (name: keyof IalsParams) => {
    const v = params[name];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new Error(`ials: ${name} must be a positive integer`);
  };
  positiveInt("factors");
  positiveInt("cgSteps");
  if (!Number.isInteger(params.iterations) || params.iterations < 0) throw new Error("ials: iterations must be an integer ≥ 0");
  if (!(params.regularization > 0)) throw new Error("ials: regularization must be > 0 (it keeps the normal equations positive definite)");
  if (!(params.alpha >= 0)) throw new Error("ials: alpha must be ≥ 0");
  const nu = params.regularizationExponent ?? 0;
  if (!(nu >= 0 && nu <= 2)) throw new Error("ials: regularizationExponent must be in [0, 2]");
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

export function fitIals(matrix: InteractionMatrix, params: IalsParams, onProgress?: (p: IalsProgress) => void): IalsModel {
  validate(params);
  const f = params.factors;
  const { byUser, byItem } = matrix;
  const userFactors = new Float32Array(byUser.rows * f);
  const itemFactors = new Float32Array(byUser.cols * f);
  const rng = new Rng(params.seed);
  rng.fillNormal(userFactors, params.initScale ?? 0.01);
  rng.fillNormal(itemFactors, params.initScale ?? 0.01);

  const gramX = new Float64Array(f * f);
  const gramY = gram(itemFactors, byUser.cols, f, new Float64Array(f * f));
  const loss: number[] = [];
  for (let iteration = 1; iteration <= params.iterations; iteration++) {
    let t = performance.now();
    solveRows(byUser, fixedSide(itemFactors, params, gramY), userFactors);
    const userSeconds = seconds(t);
    t = performance.now();
    gram(userFactors, byUser.rows, f, gramX);
    solveRows(byItem, fixedSide(userFactors, params, gramX), itemFactors);
    // Needed by the next user half-step anyway; the loss gets it for free.
    gram(itemFactors, byUser.cols, f, gramY);
    const itemSeconds = seconds(t);
    t = performance.now();
    const value = params.computeLoss === false ? null : lossWithGrams(byUser, userFactors, itemFactors, gramX, gramY, params);
    if (value !== null) loss.push(value);
    onProgress?.({ iteration, loss: value, userSeconds, itemSeconds, lossSeconds: seconds(t) });
  }
  return { factors: f, userFactors, itemFactors, loss };
}

/** YᵀY of a published item matrix; precompute it once for repeated fold-ins. */
export function itemGram(itemFactors: Float32Array, factors: number): Float64Array {
  return gram(itemFactors, itemFactors.length / factors, factors, new Float64Array(factors * factors));
}

export interface HistoryEntry {
  itemIndex: number;
  /** r_ui as training saw it (interactionStrength of the summed event weights); repeated items are summed. */
  weight: number;
}

/**
 * A vector for a user the model has not seen, from their interactions: the minimiser
 * of the same per-user quadratic training solves, with Y fixed. Solved exactly (dense
 * Cholesky, O(n·f² + f³/3)) rather than by CG: there is no previous x to warm-start
 * from, and for one user at f = 64 the exact solve costs well under a millisecond.
 */
export function foldInUser(itemFactors: Float32Array, history: readonly HistoryEntry[], params: SolveParams, precomputedGram?: Float64Array): Float32Array {
  const { factors: f, alpha } = params;
  const nItems = itemFactors.length / f;
  const merged = mergeHistory(history, nItems);
  let strengthSum = 0;
  for (const r of merged.values()) strengthSum += r;
  const lambda = rowLambda(params, nItems, strengthSum);
  const a = Float64Array.from(precomputedGram ?? itemGram(itemFactors, f));
  for (let k = 0; k < f; k++) a[k * f + k] = a[k * f + k]! + lambda;
  const b = new Float64Array(f);
  for (const [item, r] of merged) {
    const off = item * f;
    const cMinus1 = alpha * r;
    for (let p = 0; p < f; p++) {
      const yp = itemFactors[off + p]!;
      b[p] = b[p]! + (1 + cMinus1) * yp;
      for (let q = 0; q < f; q++) a[p * f + q] = a[p * f + q]! + cMinus1 * yp * itemFactors[off + q]!;
    }
  }
  choleskyFactor(a, f);
  const x = new Float64Array(f);
  choleskySolveFactored(a, f, b, x);
  return Float32Array.from(x);
}

function mergeHistory(history: readonly HistoryEntry[], nItems: number): Map<number, number> {
  const merged = new Map<number, number>();
  for (const { itemIndex, weight } of history) {
    if (!Number.isInteger(itemIndex) || itemIndex < 0 || itemIndex >= nItems) throw new Error(`foldInUser: item index ${itemIndex} out of range`);
    merged.set(itemIndex, (merged.get(itemIndex) ?? 0) + weight);
  }
  for (const [item, r] of merged) if (!(r > 0)) merged.delete(item);
  return merged;
}

/** x_uᵀ y_i for every item i. */
export function scoreItems(userVec: ArrayLike<number>, itemFactors: Float32Array, out?: Float32Array): Float32Array {
  const f = userVec.length;
  const n = itemFactors.length / f;
  const scores = out ?? new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * f;
    let s = 0;
    for (let k = 0; k < f; k++) s += userVec[k]! * itemFactors[off + k]!;
    scores[i] = s;
  }
  return scores;
}

export interface Scored {
  itemIndex: number;
  score: number;
}

/** a ranks below b: lower score, or equal score and higher index (so ties are deterministic). */
function below(scores: Float32Array, a: number, b: number): boolean {
  return scores[a]! < scores[b]! || (scores[a] === scores[b] && a > b);
}

/** Top k item indices by score, best first, skipping `exclude`; a size-k min-heap, O(n log k). */
export function recommend(userVec: ArrayLike<number>, itemFactors: Float32Array, k: number, exclude: Iterable<number> = []): Scored[] {
  const scores = scoreItems(userVec, itemFactors);
  const skip = new Uint8Array(scores.length);
  for (const i of exclude) if (i >= 0 && i < scores.length) skip[i] = 1;
  const heap: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (skip[i]) continue;
    if (heap.length < k) {
      heap.push(i);
      siftUp(heap, scores, heap.length - 1);
    } else if (k > 0 && below(scores, heap[0]!, i)) {
      heap[0] = i;
      siftDown(heap, scores, 0);
    }
  }
  return heap.sort((a, b) => (below(scores, a, b) ? 1 : -1)).map((i) => ({ itemIndex: i, score: scores[i]! }));
}

function siftUp(heap: number[], scores: Float32Array, at: number): void {
  while (at > 0) {
    const parent = (at - 1) >> 1;
    if (!below(scores, heap[at]!, heap[parent]!)) return;
    [heap[at], heap[parent]] = [heap[parent]!, heap[at]!];
    at = parent;
  }
}

function siftDown(heap: number[], scores: Float32Array, at: number): void {
  for (;;) {
    const l = 2 * at + 1;
    const r = l + 1;
    let least = at;
    if (l < heap.length && below(scores, heap[l]!, heap[least]!)) least = l;
    if (r < heap.length && below(scores, heap[r]!, heap[least]!)) least = r;
    if (least === at) return;
    [heap[at], heap[least]] = [heap[least]!, heap[at]!];
    at = least;
  }
}

/** Top k for a user of the training matrix, excluding the items they interacted with. */
export function recommendForUser(model: IalsModel, byUser: Csr, userIndex: number, k: number): Scored[] {
  const f = model.factors;
  const vec = model.userFactors.subarray(userIndex * f, (userIndex + 1) * f);
  const seen = byUser.indices.subarray(byUser.indptr[userIndex]!, byUser.indptr[userIndex + 1]!);
  return recommend(vec, model.itemFactors, k, seen);
}
