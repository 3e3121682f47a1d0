import { describe, expect, it } from "vitest";
import { buildInteractionMatrix, type Csr, type Interaction } from "./interaction-matrix.js";
import {
  alsHalfStep,
  CgWorkspace,
  cgSolve,
  fitIals,
  fixedSide,
  foldInUser,
  ialsLoss,
  recommend,
  recommendForUser,
  rowLambda,
  type IalsParams,
} from "./ials.js";
import { choleskySolve } from "./linalg.js";
import { Rng } from "./random.js";

function csrOf(rows: number, cols: number, cells: [number, number, number][]): Csr {
  const indptr = new Int32Array(rows + 1);
  for (const [r] of cells) indptr[r + 1]!++;
  for (let r = 0; r < rows; r++) indptr[r + 1]! += indptr[r]!;
  const sorted = [...cells].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    rows,
    cols,
    indptr,
    indices: Int32Array.from(sorted, (c) => c[1]),
    values: Float32Array.from(sorted, (c) => c[2]),
  };
}

/** The normal equations of one row, formed densely: A = YᵀY + λI + Σ (c−1) y yᵀ, b = Σ c y. */
function denseNormalEquations(y: Float32Array, f: number, row: [number, number][], alpha: number, lambda: number) {
  const a = new Float64Array(f * f);
  const b = new Float64Array(f);
  for (let i = 0; i < y.length / f; i++) {
    for (let p = 0; p < f; p++) for (let q = 0; q < f; q++) a[p * f + q]! += y[i * f + p]! * y[i * f + q]!;
  }
  for (let p = 0; p < f; p++) a[p * f + p]! += lambda;
  for (const [i, r] of row) {
    const c = 1 + alpha * r;
    for (let p = 0; p < f; p++) {
      b[p]! += c * y[i * f + p]!;
      for (let q = 0; q < f; q++) a[p * f + q]! += (c - 1) * y[i * f + p]! * y[i * f + q]!;
    }
  }
  return { a, b };
}

/** L(X, Y) by visiting every cell: the definition the fast version must agree with. */
function bruteForceLoss(m: Csr, x: Float32Array, y: Float32Array, f: number, alpha: number, lambda: number, nu = 0): number {
  let loss = 0;
  // Σ_i c_ui for every row and column: the weight of its terms in L (frequency-scaled λ).
  const rowWeight = new Float64Array(m.rows).fill(m.cols);
  const colWeight = new Float64Array(m.cols).fill(m.rows);
  for (let u = 0; u < m.rows; u++) {
    const r = new Map<number, number>();
    for (let k = m.indptr[u]!; k < m.indptr[u + 1]!; k++) r.set(m.indices[k]!, m.values[k]!);
    for (let i = 0; i < m.cols; i++) {
      let s = 0;
      for (let k = 0; k < f; k++) s += x[u * f + k]! * y[i * f + k]!;
      const rui = r.get(i) ?? 0;
      const p = rui > 0 ? 1 : 0;
      loss += (1 + alpha * rui) * (p - s) ** 2;
      rowWeight[u]! += alpha * rui;
      colWeight[i]! += alpha * rui;
    }
  }
  let penalty = 0;
  for (let u = 0; u < m.rows; u++) for (let k = 0; k < f; k++) penalty += lambda * rowWeight[u]! ** nu * x[u * f + k]! ** 2;
  for (let i = 0; i < m.cols; i++) for (let k = 0; k < f; k++) penalty += lambda * colWeight[i]! ** nu * y[i * f + k]! ** 2;
  return loss + penalty;
}

const CLUSTERS = 5;
const ITEMS_PER_CLUSTER = 40;
const TYPES = ["view", "view", "view", "click", "click", "add_to_cart", "purchase"] as const;

/** 500 users, each in one cluster, with 8–15 interactions inside it (seeded). */
function plantedClusters(seed: number): Interaction[] {
  const rng = new Rng(seed);
  const out: Interaction[] = [];
  for (let u = 0; u < 500; u++) {
    const cluster = u % CLUSTERS;
    const n = 8 + rng.int(8);
    for (let k = 0; k < n; k++) {
      const item = cluster * ITEMS_PER_CLUSTER + rng.int(ITEMS_PER_CLUSTER);
      out.push({ user_id: `u${u}`, item_id: `c${cluster}-${item}`, type: TYPES[rng.int(TYPES.length)]! });
    }
  }
  return out;
}

const clusterOf = (itemId: string) => Number(itemId.slice(1, itemId.indexOf("-")));

const PARAMS: IalsParams = { factors: 8, iterations: 12, regularization: 0.1, alpha: 2, cgSteps: 3, seed: 42 };

describe("CG solver", () => {
  it("matches a direct Cholesky solve of the same normal equations to 1e-5", () => {
    const rng = new Rng(11);
    const f = 10;
    const nItems = 40;
    const y = new Float32Array(nItems * f);
    rng.fillNormal(y, 0.5);
    const row: [number, number][] = [
      [3, 1],
      [7, 4],
      [12, 10],
      [20, 3],
      [33, 1],
      [39, 5],
    ];
    const alpha = 3;
    const lambda = 0.2;
    const { a, b } = denseNormalEquations(y, f, row, alpha, lambda);
    const direct = choleskySolve(a, f, b);

    const csr = csrOf(
      1,
      nItems,
      row.map(([i, r]) => [0, i, r]),
    );
    const side = fixedSide(y, { factors: f, regularization: lambda, alpha, cgSteps: f });
    for (const start of ["zero", "random"] as const) {
      const ws = new CgWorkspace(f);
      if (start === "random") for (let k = 0; k < f; k++) ws.x[k] = rng.normal();
      // Exact in f steps in exact arithmetic; a few more absorb rounding.
      cgSolve(side, csr.indices, csr.values, 0, row.length, 2 * f, ws);
      for (let k = 0; k < f; k++) expect(Math.abs(ws.x[k]! - direct[k]!)).toBeLessThan(1e-5);
    }
  });

  it("with frequency-scaled λ (ν = 1) matches the direct solve with λ_u = λ·(items + αΣr)", () => {
    const rng = new Rng(12);
    const f = 6;
    const nItems = 30;
    const y = new Float32Array(nItems * f);
    rng.fillNormal(y, 0.5);
    const row: [number, number][] = [
      [2, 1],
      [9, 2],
      [25, 0.5],
    ];
    const alpha = 2;
    // λ_u = 0.01 · (30 + 2·(1 + 2 + 0.5)) = 0.37
    expect(rowLambda({ factors: f, alpha, regularization: 0.01, regularizationExponent: 1 }, nItems, 3.5)).toBeCloseTo(0.37, 12);
    const { a, b } = denseNormalEquations(y, f, row, alpha, 0.37);
    const direct = choleskySolve(a, f, b);
    const csr = csrOf(
      1,
      nItems,
      row.map(([i, r]) => [0, i, r]),
    );
    const side = fixedSide(y, { factors: f, regularization: 0.01, alpha, cgSteps: f, regularizationExponent: 1 });
    const ws = new CgWorkspace(f);
    cgSolve(side, csr.indices, csr.values, 0, row.length, 2 * f, ws);
    for (let k = 0; k < f; k++) expect(Math.abs(ws.x[k]! - direct[k]!)).toBeLessThan(1e-5);
    // The same user folded in (exact solve) lands on the same vector.
    const folded = foldInUser(
      y,
      row.map(([itemIndex, weight]) => ({ itemIndex, weight })),
      { factors: f, alpha, regularization: 0.01, regularizationExponent: 1 },
    );
    for (let k = 0; k < f; k++) expect(Math.abs(folded[k]! - direct[k]!)).toBeLessThan(1e-5);
  });

  it("computes a hand-worked 2 users × 2 items, 1 factor update", () => {
    // Items fixed: y_0 = 1, y_1 = 2, so YᵀY = 1² + 2² = 5. α = 2, λ = 0.5.
    // User 0 has r = 1 on item 0: c = 1 + 2·1 = 3.
    //   A = YᵀY + (c − 1)·y_0² + λ = 5 + 2·1 + 0.5 = 7.5;  b = c·y_0 = 3
    //   x_0 = 3 / 7.5 = 0.4
    // User 1 has r = 2 on item 1: c = 1 + 2·2 = 5.
    //   A = 5 + (5 − 1)·2² + 0.5 = 21.5;  b = 5·2 = 10
    //   x_1 = 10 / 21.5 = 20/43 ≈ 0.46512
    // With one factor, one CG step from any start is the exact solve.
    const csr = csrOf(2, 2, [
      [0, 0, 1],
      [1, 1, 2],
    ]);
    const users = Float32Array.of(-7, 3); // arbitrary warm start
    alsHalfStep(csr, Float32Array.of(1, 2), users, { factors: 1, regularization: 0.5, alpha: 2, cgSteps: 1 });
    expect(users[0]).toBeCloseTo(0.4, 6);
    expect(users[1]).toBeCloseTo(20 / 43, 6);
  });
});

describe("loss", () => {
  it("the O(nnz·f + n·f²) evaluation equals the sum over every cell", () => {
    const m = buildInteractionMatrix(plantedClusters(1).slice(0, 300));
    const rng = new Rng(2);
    const f = 4;
    const x = new Float32Array(m.byUser.rows * f);
    const y = new Float32Array(m.byUser.cols * f);
    rng.fillNormal(x, 0.3);
    rng.fillNormal(y, 0.3);
    const params = { factors: f, alpha: 1.5, regularization: 0.3 };
    const fast = ialsLoss(m.byUser, x, y, params);
    const slow = bruteForceLoss(m.byUser, x, y, f, params.alpha, params.regularization);
    expect(Math.abs(fast - slow) / slow).toBeLessThan(1e-9);
    // Frequency-scaled λ: each row and column penalised by its own (Σ c)^ν.
    for (const nu of [0.5, 1]) {
      const scaled = { ...params, regularization: 0.01, regularizationExponent: nu };
      const want = bruteForceLoss(m.byUser, x, y, f, params.alpha, 0.01, nu);
      expect(Math.abs(ialsLoss(m.byUser, x, y, scaled) - want) / want).toBeLessThan(1e-9);
    }
  });

  it("never increases over iterations, and fitIals reports the true loss", () => {
    const m = buildInteractionMatrix(plantedClusters(7));
    const model = fitIals(m, { ...PARAMS, iterations: 15, cgSteps: 2 });
    expect(model.loss).toHaveLength(15);
    for (let t = 1; t < model.loss.length; t++) expect(model.loss[t]!).toBeLessThanOrEqual(model.loss[t - 1]! * (1 + 1e-6));
    expect(model.loss.at(-1)!).toBeLessThan(model.loss[0]! * 0.99);
    const recomputed = ialsLoss(m.byUser, model.userFactors, model.itemFactors, { ...PARAMS });
    expect(recomputed).toBeCloseTo(model.loss.at(-1)!, 3);
  });

  it("never increases with frequency-scaled λ either", () => {
    const m = buildInteractionMatrix(plantedClusters(8));
    const model = fitIals(m, { ...PARAMS, regularization: 0.001, regularizationExponent: 1, iterations: 12, cgSteps: 2 });
    for (let t = 1; t < model.loss.length; t++) expect(model.loss[t]!).toBeLessThanOrEqual(model.loss[t - 1]! * (1 + 1e-6));
    expect(model.loss.at(-1)!).toBeLessThan(model.loss[0]! * 0.99);
  });
});

describe("planted clusters", () => {
  const m = buildInteractionMatrix(plantedClusters(3));
  const model = fitIals(m, PARAMS);

  it("recommends a user's own cluster", () => {
    let inCluster = 0;
    let total = 0;
    for (let u = 0; u < m.byUser.rows; u += 7) {
      const userCluster = Number(m.userIds[u]!.slice(1)) % CLUSTERS;
      const top = recommendForUser(model, m.byUser, u, 10);
      expect(top).toHaveLength(10);
      const seen = new Set(m.byUser.indices.subarray(m.byUser.indptr[u]!, m.byUser.indptr[u + 1]!));
      for (const { itemIndex } of top) {
        expect(seen.has(itemIndex)).toBe(false);
        if (clusterOf(m.itemIds[itemIndex]!) === userCluster) inCluster++;
        total++;
      }
    }
    expect(inCluster / total).toBeGreaterThan(0.9);
  });

  it("folds in a brand-new user who viewed 3 items of one cluster", () => {
    for (let cluster = 0; cluster < CLUSTERS; cluster++) {
      const viewed = [0, 11, 27].map((k) => m.itemIndex.get(`c${cluster}-${cluster * ITEMS_PER_CLUSTER + k}`)!);
      const vec = foldInUser(
        model.itemFactors,
        viewed.map((itemIndex) => ({ itemIndex, weight: 1 })),
        PARAMS,
      );
      const top = recommend(vec, model.itemFactors, 10, viewed);
      const hits = top.filter((s) => clusterOf(m.itemIds[s.itemIndex]!) === cluster).length;
      expect(hits).toBeGreaterThanOrEqual(8);
      expect(top.some((s) => viewed.includes(s.itemIndex))).toBe(false);
    }
  });

  it("fold-in solves the equations training solves (exactly, where training takes CG steps)", () => {
    const u = 10;
    const f = PARAMS.factors;
    const history = [];
    for (let k = m.byUser.indptr[u]!; k < m.byUser.indptr[u + 1]!; k++) history.push({ itemIndex: m.byUser.indices[k]!, weight: m.byUser.values[k]! });
    const folded = foldInUser(model.itemFactors, history, PARAMS);
    const users = model.userFactors.slice();
    alsHalfStep(m.byUser, model.itemFactors, users, { ...PARAMS, cgSteps: 3 * f });
    for (let k = 0; k < f; k++) expect(folded[k]!).toBeCloseTo(users[u * f + k]!, 4);
  });
});

describe("determinism and exact cases", () => {
  it("gives identical factors for the same seed and different ones for another", () => {
    const m = buildInteractionMatrix(plantedClusters(5).slice(0, 2000));
    const params = { ...PARAMS, iterations: 4 };
    const a = fitIals(m, params);
    const b = fitIals(m, params);
    const c = fitIals(m, { ...params, seed: 43 });
    expect(b.userFactors).toEqual(a.userFactors);
    expect(b.itemFactors).toEqual(a.itemFactors);
    expect(b.loss).toEqual(a.loss);
    expect(c.userFactors).not.toEqual(a.userFactors);
  });

  it("reconstructs a rank-1 binary matrix with α = 0, λ → 0 and one factor", () => {
    // With α = 0 every cell has confidence 1, so L is the plain squared error of XYᵀ
    // against P (+ a vanishing λ). P = a·bᵀ (users 0–3 × items 0–2 all ones, users 4–5
    // empty) has rank 1, so the best rank-1 fit is P itself; with f = 1 an ALS
    // half-step is the exact projection, and one full iteration lands on P.
    const cells: Interaction[] = [];
    for (let u = 0; u < 4; u++) for (let i = 0; i < 3; i++) cells.push({ user_id: `u${u}`, item_id: `i${i}`, type: "view" });
    cells.push({ user_id: "u4", item_id: "i3", type: "dismiss" }, { user_id: "u5", item_id: "i4", type: "dismiss" });
    const m = buildInteractionMatrix(cells);
    expect(m.byUser.rows).toBe(6);
    expect(m.byUser.cols).toBe(5);
    const model = fitIals(m, { factors: 1, iterations: 3, regularization: 1e-9, alpha: 0, cgSteps: 1, seed: 9 });
    for (let u = 0; u < 6; u++) {
      for (let i = 0; i < 5; i++) {
        const expected = u < 4 && i < 3 ? 1 : 0;
        expect(model.userFactors[u]! * model.itemFactors[i]!).toBeCloseTo(expected, 5);
      }
    }
    // What is left of L is the λ‖·‖² term alone: the squared error is zero.
    let norms = 0;
    for (const v of [...model.userFactors, ...model.itemFactors]) norms += v * v;
    expect(model.loss.at(-1)! - 1e-9 * norms).toBeLessThan(1e-10);
  });
});
