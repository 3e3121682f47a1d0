/**
 * ONNX graphs for retrieval with the iALS item factors.
 *
 * buildFoldInRetrievalGraph — what the edge runs per request when the version's catalog
 *   fits in the isolate: the session's history (item rows + strengths) is folded into a
 *   user vector (the iALS normal equations, solved by unrolled preconditioned CG), every
 *   item is scored with one MatMul and TopK picks the candidates. A brand-new user's
 *   first clicks therefore personalise the very next request, with no backend round trip.
 * buildFoldInGraph — the same fold-in without the catalog, for versions whose item
 *   vectors live in the vector store (the edge queries it with the user vector).
 * buildRetrievalGraph — scoring only (user vector → TopK), kept for callers that already
 *   hold a vector.
 *
 * The same bytes run under onnxruntime-node in the backend (validation before publish)
 * and under onnxruntime-web in workerd, so both sides agree. Item matrices are stored
 * transposed ([f, n]) so scoring needs no Transpose node and history rows are a Gather
 * along axis 1.
 */
import { encodeModel, TensorDataType, type Node, type Tensor, type ValueInfo } from "./onnx-model.js";

export const RETRIEVAL_INPUT = "user_vector";
export const RETRIEVAL_SCORES = "scores";
export const RETRIEVAL_INDICES = "indices";

function positiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/**
 * @param itemFactors row-major [items, factors]: item i's vector is
 *   itemFactors[i * factors .. (i + 1) * factors).
 * @returns ONNX model bytes.
 */
export function buildRetrievalGraph(itemFactors: Float32Array, items: number, factors: number, k: number): Uint8Array {
  positiveInt("items", items);
  positiveInt("factors", factors);
  positiveInt("k", k);
  if (k > items) throw new RangeError(`k (${k}) must not exceed items (${items})`);
  if (itemFactors.length !== items * factors) {
    throw new RangeError(`itemFactors has ${itemFactors.length} values, expected items × factors = ${items * factors}`);
  }
  // Transpose to [factors, items]; reject non-finite values here, because a NaN in one
  // item would make TopK's ordering meaningless for every user without any error.
  const transposed = new Float32Array(items * factors);
  for (let i = 0; i < items; i++) {
    for (let j = 0; j < factors; j++) {
      const x = itemFactors[i * factors + j]!;
      if (!Number.isFinite(x)) throw new RangeError(`itemFactors[${i}][${j}] is not finite`);
      transposed[j * items + i] = x;
    }
  }
  return encodeModel({
    irVersion: 8,
    opset: 17,
    producerName: "edge-recs",
    docString: "exact retrieval: MatMul(user_vector, item_factors_t) -> TopK",
    graph: {
      name: "retrieval",
      nodes: [
        { opType: "MatMul", name: "score_all", inputs: [RETRIEVAL_INPUT, "item_factors_t"], outputs: ["all_scores"] },
        {
          opType: "TopK",
          name: "top_k",
          inputs: ["all_scores", "k"],
          outputs: [RETRIEVAL_SCORES, RETRIEVAL_INDICES],
          attributes: {
            axis: { kind: "int", value: -1 },
            largest: { kind: "int", value: 1 },
            sorted: { kind: "int", value: 1 },
          },
        },
      ],
      initializers: [
        { name: "item_factors_t", dataType: TensorDataType.FLOAT, dims: [factors, items], data: transposed },
        // TopK (opset >= 10) takes k as a 1-element int64 tensor input, not an attribute.
        { name: "k", dataType: TensorDataType.INT64, dims: [1], data: BigInt64Array.of(BigInt(k)) },
      ],
      inputs: [{ name: RETRIEVAL_INPUT, elemType: TensorDataType.FLOAT, shape: [1, factors] }],
      outputs: [
        { name: RETRIEVAL_SCORES, elemType: TensorDataType.FLOAT, shape: [1, k] },
        { name: RETRIEVAL_INDICES, elemType: TensorDataType.INT64, shape: [1, k] },
      ],
    },
  });
}

// ---------------------------------------------------------------------------------------
// Fold-in retrieval: the session's history → the user's vector → every item's score → TopK.
// ---------------------------------------------------------------------------------------

export const HISTORY_ITEMS = "history_items";
export const HISTORY_STRENGTH = "history_strength";
export const HISTORY_FACTORS = "history_factors";
export const ALL_SCORES = "all_scores";
export const USER_VECTOR = "user_vector";
/** Rows of items.json whose retrieval scores the caller wants (the other sources' candidates). */
export const SCORE_ITEMS = "score_items";
/** The scores of SCORE_ITEMS, in their order: [1, m]. */
export const ITEM_SCORES = "item_scores";

export interface FoldInParams {
  factors: number;
  /** iALS α: confidence c = 1 + α·r. */
  alpha: number;
  /** iALS λ. */
  regularization: number;
  /**
   * ν of iALS's frequency-scaled λ (backend/training/ials.ts): the user's λ is
   * λ·(items + α Σr)^ν. Absent or 0: the constant λ, and the graph has no nodes for it.
   */
  regularizationExponent?: number;
  /** Preconditioned CG steps; see the header of buildFoldInRetrievalGraph for why few suffice. */
  cgSteps?: number;
}

export const DEFAULT_FOLD_IN_CG_STEPS = 6;

/** YᵀY + λI in float64 (row-major f × f). */
export function regularisedGram(itemFactors: Float32Array, factors: number, lambda: number): Float64Array {
  const f = factors;
  const n = itemFactors.length / f;
  const a = new Float64Array(f * f);
  for (let i = 0; i < n; i++) {
    const off = i * f;
    for (let p = 0; p < f; p++) {
      const yp = itemFactors[off + p]!;
      if (yp === 0) continue;
      for (let q = p; q < f; q++) a[p * f + q] = a[p * f + q]! + yp * itemFactors[off + q]!;
    }
  }
  for (let p = 0; p < f; p++) {
    a[p * f + p] = a[p * f + p]! + lambda;
    for (let q = 0; q < p; q++) a[p * f + q] = a[q * f + p]!;
  }
  return a;
}

/** Inverse of a symmetric positive definite matrix by Cholesky, column by column of I. */
export function invertSpd(matrix: Float64Array, f: number): Float64Array {
  const l = Float64Array.from(matrix);
  for (let j = 0; j < f; j++) {
    let d = l[j * f + j]!;
    for (let k = 0; k < j; k++) d -= l[j * f + k]! ** 2;
    if (!(d > 0)) throw new RangeError("YᵀY + λI is not positive definite; is λ > 0?");
    const ljj = Math.sqrt(d);
    l[j * f + j] = ljj;
    for (let i = j + 1; i < f; i++) {
      let s = l[i * f + j]!;
      for (let k = 0; k < j; k++) s -= l[i * f + k]! * l[j * f + k]!;
      l[i * f + j] = s / ljj;
    }
  }
  const inv = new Float64Array(f * f);
  const y = new Float64Array(f);
  for (let col = 0; col < f; col++) {
    for (let i = 0; i < f; i++) {
      let s = i === col ? 1 : 0;
      for (let k = 0; k < i; k++) s -= l[i * f + k]! * y[k]!;
      y[i] = s / l[i * f + i]!;
    }
    for (let i = f - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let k = i + 1; k < f; k++) s -= l[k * f + i]! * y[k]!;
      y[i] = s / l[i * f + i]!;
    }
    for (let i = 0; i < f; i++) inv[i * f + col] = y[i]!;
  }
  return inv;
}

/** Builds nodes with generated names; keeps the CG unrolling readable. */
class GraphBuilder {
  readonly nodes: Node[] = [];
  private n = 0;
  op(opType: string, inputs: string[], attributes?: Node["attributes"]): string {
    const out = `${opType.toLowerCase()}_${this.n++}`;
    this.nodes.push({ opType, inputs, outputs: [out], ...(attributes ? { attributes } : {}) });
    return out;
  }
  /** Σ a⊙b over all elements, as a [1, 1] tensor (ReduceSum without axes reduces everything). */
  dot(a: string, b: string): string {
    return this.op("ReduceSum", [this.op("Mul", [a, b])], { keepdims: { kind: "int", value: 1 } });
  }
}

/**
 * Appends the fold-in solve to `g`: given the history's item factors as columns
 * (`yhT`, [f, h]) and strengths r ([h]), returns the name of x ([f, 1]) minimising the
 * user's iALS objective with Y fixed:
 *   (YᵀY + λI + Y_hᵀ diag(α r) Y_h) x = Y_hᵀ (1 + α r)
 * (Hu, Koren & Volinsky, "Collaborative Filtering for Implicit Feedback Datasets",
 * ICDM 2008, eq. 4, restricted to the user's rows.)
 *
 * ONNX has no linear solver, so the solve is an unrolled preconditioned conjugate
 * gradient with M = YᵀY + λI, whose inverse is a build-time constant. M⁻¹A = I + M⁻¹·(a
 * rank-h term), so it has at most h + 1 distinct eigenvalues and PCG is exact after h + 1
 * steps; starting from x₀ = M⁻¹b, the history terms are small next to YᵀY for typical
 * sessions and a handful of steps reaches float32 precision (tested against a Cholesky
 * solve). Each step costs two f×f and two h×f products: microseconds.
 */
function appendFoldIn(g: GraphBuilder, yhT: string, strength: string, steps: number, scaledLambda: boolean): string {
  const strengthCol = g.op("Unsqueeze", [strength, "axis_1"]); // [h, 1]
  const extraConf = g.op("Mul", [strengthCol, "alpha"]); // α r  (c − 1)
  const conf = g.op("Add", [extraConf, "one"]); // c = 1 + α r
  const yh = g.op("Transpose", [yhT]); // [h, f]
  const b = g.op("MatMul", [yhT, conf]); // [f, 1]
  // Frequency-scaled λ: gram_reg holds λ̄ = λ·items^ν (an empty history's λ), and the
  // user's own λ_u − λ̄ is added on the diagonal. M stays the preconditioner.
  const lambdaShift = scaledLambda
    ? g.op("Sub", [
        g.op("Mul", [
          "lambda",
          g.op("Pow", [g.op("Add", ["items", g.op("Mul", [g.op("ReduceSum", [strength], { keepdims: { kind: "int", value: 1 } }), "alpha"])]), "nu"]),
        ]),
        "lambda_bar",
      ])
    : null;
  const applyA = (v: string): string => {
    const low = g.op("MatMul", [yhT, g.op("Mul", [extraConf, g.op("MatMul", [yh, v])])]);
    const av = g.op("Add", [g.op("MatMul", ["gram_reg", v]), low]);
    return lambdaShift ? g.op("Add", [av, g.op("Mul", [lambdaShift, v])]) : av;
  };
  let x = g.op("MatMul", ["gram_reg_inv", b]);
  let r = g.op("Sub", [b, applyA(x)]);
  let z = g.op("MatMul", ["gram_reg_inv", r]);
  let p = z;
  let rz = g.dot(r, z);
  for (let s = 0; s < steps; s++) {
    const ap = applyA(p);
    const step = g.op("Div", [rz, g.op("Add", [g.dot(p, ap), "tiny"])]);
    x = g.op("Add", [x, g.op("Mul", [step, p])]);
    if (s === steps - 1) break;
    r = g.op("Sub", [r, g.op("Mul", [step, ap])]);
    z = g.op("MatMul", ["gram_reg_inv", r]);
    const rzNext = g.dot(r, z);
    const beta = g.op("Div", [rzNext, g.op("Add", [rz, "tiny"])]);
    p = g.op("Add", [z, g.op("Mul", [beta, p])]);
    rz = rzNext;
  }
  return x;
}

function isScaled(p: FoldInParams): boolean {
  return (p.regularizationExponent ?? 0) !== 0;
}

/** Initialisers every fold-in graph needs: M = YᵀY + λ̄I, M⁻¹ and the scalars. */
function foldInConstants(itemFactors: Float32Array, p: FoldInParams): Tensor[] {
  const f = p.factors;
  const items = itemFactors.length / f;
  const nu = p.regularizationExponent ?? 0;
  const lambdaBar = p.regularization * items ** nu;
  const gramReg = regularisedGram(itemFactors, f, lambdaBar);
  const scalar = (name: string, v: number): Tensor => ({ name, dataType: TensorDataType.FLOAT, dims: [], data: Float32Array.of(v) });
  const scaled = isScaled(p) ? [scalar("lambda", p.regularization), scalar("lambda_bar", lambdaBar), scalar("items", items), scalar("nu", nu)] : [];
  return [
    ...scaled,
    { name: "gram_reg", dataType: TensorDataType.FLOAT, dims: [f, f], data: Float32Array.from(gramReg) },
    { name: "gram_reg_inv", dataType: TensorDataType.FLOAT, dims: [f, f], data: Float32Array.from(invertSpd(gramReg, f)) },
    scalar("alpha", p.alpha),
    scalar("one", 1),
    // Guards 0/0 once the residual is exactly zero (e.g. a one-item history converges early).
    scalar("tiny", 1e-30),
    { name: "axis_1", dataType: TensorDataType.INT64, dims: [1], data: BigInt64Array.of(1n) },
  ];
}

function checkFoldIn(itemFactors: Float32Array, p: FoldInParams): number {
  positiveInt("factors", p.factors);
  if (itemFactors.length === 0 || itemFactors.length % p.factors !== 0) {
    throw new RangeError(`itemFactors has ${itemFactors.length} values, not a positive multiple of factors (${p.factors})`);
  }
  if (!(p.regularization > 0)) throw new RangeError("regularization must be > 0");
  if (!(p.alpha >= 0)) throw new RangeError("alpha must be >= 0");
  const nu = p.regularizationExponent ?? 0;
  if (!(nu >= 0 && nu <= 2)) throw new RangeError(`regularizationExponent must be in [0, 2], got ${nu}`);
  for (let i = 0; i < itemFactors.length; i++) {
    if (!Number.isFinite(itemFactors[i]!)) throw new RangeError(`itemFactors[${i}] is not finite`);
  }
  const steps = p.cgSteps ?? DEFAULT_FOLD_IN_CG_STEPS;
  if (!Number.isSafeInteger(steps) || steps < 1 || steps > 64) throw new RangeError(`cgSteps must be 1..64, got ${steps}`);
  return steps;
}

function model(name: string, doc: string, g: GraphBuilder, initializers: Tensor[], inputs: ValueInfo[], outputs: ValueInfo[]): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opset: 17,
    producerName: "edge-recs",
    docString: doc,
    graph: { name, nodes: g.nodes, initializers, inputs, outputs },
  });
}

/**
 * In-process retrieval for one request (catalog in the isolate):
 *   history_items [h] int64 (rows of items.json), history_strength [h] float (r per item)
 *     → Gather columns of Yᵀ → fold-in (PCG) → user_vector [1, f]
 *     → MatMul with Yᵀ → all_scores [1, n] → TopK → scores [1, k], indices [1, k]
 *   score_items [m] int64 → Gather of all_scores → item_scores [1, m].
 * item_scores gives the ranker the retrieval score of candidates from other sources.
 * all_scores stays inside the runtime: every output is copied out of WASM into a new
 * array, and n floats per request would be garbage in proportion to the catalog.
 * h and m must be ≥ 1: a user with no history has no vector, and the edge does not call
 * this without history.
 *
 * `allScoresOutput` builds the layout of versions trained before item_scores existed (no
 * score_items input, all_scores an output); the edge still serves those, and its tests
 * need one.
 */
export function buildFoldInRetrievalGraph(itemFactors: Float32Array, p: FoldInParams & { k: number; allScoresOutput?: boolean }): Uint8Array {
  const steps = checkFoldIn(itemFactors, p);
  const f = p.factors;
  const n = itemFactors.length / f;
  positiveInt("k", p.k);
  if (p.k > n) throw new RangeError(`k (${p.k}) must not exceed items (${n})`);
  const transposed = new Float32Array(n * f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) transposed[j * n + i] = itemFactors[i * f + j]!;

  const g = new GraphBuilder();
  const yhT = g.op("Gather", ["item_factors_t", HISTORY_ITEMS], { axis: { kind: "int", value: 1 } });
  const x = appendFoldIn(g, yhT, HISTORY_STRENGTH, steps, isScaled(p));
  g.nodes.push({ opType: "Transpose", inputs: [x], outputs: [USER_VECTOR] });
  g.nodes.push({ opType: "MatMul", inputs: [USER_VECTOR, "item_factors_t"], outputs: [ALL_SCORES] });
  g.nodes.push({
    opType: "TopK",
    inputs: [ALL_SCORES, "k"],
    outputs: [RETRIEVAL_SCORES, RETRIEVAL_INDICES],
    attributes: { axis: { kind: "int", value: -1 }, largest: { kind: "int", value: 1 }, sorted: { kind: "int", value: 1 } },
  });
  if (!p.allScoresOutput)
    g.nodes.push({ opType: "Gather", inputs: [ALL_SCORES, SCORE_ITEMS], outputs: [ITEM_SCORES], attributes: { axis: { kind: "int", value: 1 } } });
  return model(
    "fold_in_retrieval",
    `iALS fold-in (PCG, ${steps} steps) + exact retrieval over ${n} items`,
    g,
    [
      { name: "item_factors_t", dataType: TensorDataType.FLOAT, dims: [f, n], data: transposed },
      { name: "k", dataType: TensorDataType.INT64, dims: [1], data: BigInt64Array.of(BigInt(p.k)) },
      ...foldInConstants(itemFactors, p),
    ],
    [
      { name: HISTORY_ITEMS, elemType: TensorDataType.INT64, shape: ["history"] },
      { name: HISTORY_STRENGTH, elemType: TensorDataType.FLOAT, shape: ["history"] },
      ...(p.allScoresOutput ? [] : [{ name: SCORE_ITEMS, elemType: TensorDataType.INT64, shape: ["scored"] }]),
    ],
    [
      { name: RETRIEVAL_SCORES, elemType: TensorDataType.FLOAT, shape: [1, p.k] },
      { name: RETRIEVAL_INDICES, elemType: TensorDataType.INT64, shape: [1, p.k] },
      p.allScoresOutput
        ? { name: ALL_SCORES, elemType: TensorDataType.FLOAT, shape: [1, n] }
        : { name: ITEM_SCORES, elemType: TensorDataType.FLOAT, shape: [1, "scored"] },
      { name: USER_VECTOR, elemType: TensorDataType.FLOAT, shape: [1, f] },
    ],
  );
}

/**
 * Fold-in alone, for catalogs served from the vector store: the edge fetches the
 * history items' vectors (history_factors [h, f]) and queries the store with the
 * resulting user_vector [1, f]. Only the f × f constants are embedded, so the graph's
 * size does not grow with the catalog.
 */
export function buildFoldInGraph(itemFactors: Float32Array, p: FoldInParams): Uint8Array {
  const steps = checkFoldIn(itemFactors, p);
  const g = new GraphBuilder();
  const yhT = g.op("Transpose", [HISTORY_FACTORS]);
  const x = appendFoldIn(g, yhT, HISTORY_STRENGTH, steps, isScaled(p));
  g.nodes.push({ opType: "Transpose", inputs: [x], outputs: [USER_VECTOR] });
  return model(
    "fold_in",
    `iALS fold-in (PCG, ${steps} steps)`,
    g,
    foldInConstants(itemFactors, p),
    [
      { name: HISTORY_FACTORS, elemType: TensorDataType.FLOAT, shape: ["history", p.factors] },
      { name: HISTORY_STRENGTH, elemType: TensorDataType.FLOAT, shape: ["history"] },
    ],
    [{ name: USER_VECTOR, elemType: TensorDataType.FLOAT, shape: [1, p.factors] }],
  );
}
