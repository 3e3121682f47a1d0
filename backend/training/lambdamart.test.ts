/**
 * LambdaMART: the lambdas and a single split against hand arithmetic, learning planted
 * structure a single feature cannot explain, the reference scorer against a hand walk,
 * early stopping, determinism and input validation.
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../evaluation/synthetic.js";
import {
  compileEnsemble,
  fitLambdaMart,
  isLeaf,
  lambdaGradients,
  ndcgOfQueries,
  predict,
  quantileEdges,
  type RankingDataset,
  type RegressionTree,
  type TreeEnsemble,
} from "./lambdamart.js";

function closeTo(got: ArrayLike<number>, want: readonly number[], digits = 12): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
}

describe("lambdaGradients", () => {
  // One query, 3 documents: labels [2, 0, 1], scores [0, 1, 2], NDCG@10, σ = 1.
  // Ranked by score: d2 (rank 0), d1 (rank 1), d0 (rank 2).
  // Discounts 1/log2(rank + 2): D0 = 1, D1 = 1/log2 3 = 0.6309297536, D2 = 1/2.
  // Gains 2^l − 1: d0 = 3, d1 = 0, d2 = 1. Ideal DCG = 3·D0 + 1·D1 = 3.6309297536.
  // Pairs (more relevant, less relevant), ρ = 1/(1 + e^(s_hi − s_lo)), |Δ| = |Δgain·Δdiscount| / IDCG:
  //   (d0, d1): s diff −1, ρ = 0.7310585786, |Δ| = 3·|D2 − D1| / IDCG = 0.1081787001
  //             ρ|Δ| = 0.0790849667, ρ(1−ρ)|Δ| = 0.0212692234
  //   (d0, d2): s diff −2, ρ = 0.8807970780, |Δ| = 2·|D2 − D0| / IDCG = 0.2754115524
  //             ρ|Δ| = 0.2425816906, ρ(1−ρ)|Δ| = 0.0289164463
  //   (d2, d1): s diff +1, ρ = 0.2689414214, |Δ| = 1·|D0 − D1| / IDCG = 0.1016462095
  //             ρ|Δ| = 0.0273368761, ρ(1−ρ)|Δ| = 0.0199848578
  // g(hi) −= ρ|Δ|, g(lo) += ρ|Δ|; h of both += ρ(1−ρ)|Δ|:
  //   g0 = −0.0790849667 − 0.2425816906 = −0.3216666573
  //   g1 = +0.0790849667 + 0.0273368761 = +0.1064218428
  //   g2 = +0.2425816906 − 0.0273368761 = +0.2152448145
  //   h0 = 0.0212692234 + 0.0289164463 = 0.0501856697
  //   h1 = 0.0212692234 + 0.0199848578 = 0.0412540811
  //   h2 = 0.0289164463 + 0.0199848578 = 0.0489013041
  const labels = Float32Array.of(2, 0, 1);
  const scores = Float32Array.of(0, 1, 2);

  it("matches the hand-computed 3-document case", () => {
    const g = new Float64Array(3);
    const h = new Float64Array(3);
    lambdaGradients(scores, labels, 0, 3, 10, g, h);
    closeTo(g, [-0.3216666573, 0.1064218428, 0.2152448145], 9);
    closeTo(h, [0.0501856697, 0.0412540811, 0.0489013041], 9);
    expect(g[0]! + g[1]! + g[2]!).toBeCloseTo(0, 15);
  });

  it("at k = 1 only pairs involving the top position count", () => {
    // D0 = 1, D1 = D2 = 0, IDCG@1 = 3. (d0, d1) both below the top: |Δ| = 0.
    //   (d0, d2): |Δ| = 2·|0 − 1| / 3 = 2/3, ρ = 0.8807970780: ρ|Δ| = 0.5871980520, ρ(1−ρ)|Δ| = 0.0699957236
    //   (d2, d1): |Δ| = 1·|1 − 0| / 3 = 1/3, ρ = 0.2689414214: ρ|Δ| = 0.0896471405, ρ(1−ρ)|Δ| = 0.0655373111
    const g = new Float64Array(3);
    const h = new Float64Array(3);
    lambdaGradients(scores, labels, 0, 3, 1, g, h);
    closeTo(g, [-0.587198052, 0.0896471405, 0.4975509115], 9);
    closeTo(h, [0.0699957236, 0.0655373111, 0.1355330347], 9);
  });

  it("writes only its query's rows, and zeros for a query whose labels are all equal", () => {
    const g = Float64Array.of(9, 9, 9, 9, 9);
    const h = Float64Array.of(9, 9, 9, 9, 9);
    lambdaGradients(Float32Array.of(5, 1, 2, 3, 5), Float32Array.of(0, 1, 1, 1, 0), 1, 4, 10, g, h);
    expect([...g]).toEqual([9, 0, 0, 0, 9]);
    expect([...h]).toEqual([9, 0, 0, 0, 9]);
    lambdaGradients(Float32Array.of(5, 1, 2, 3, 5), Float32Array.of(0, 0, 0, 0, 0), 0, 5, 10, g, h);
    expect([...g, ...h].every((x) => x === 0)).toBe(true);
  });
});

describe("ndcgOfQueries", () => {
  it("averages over queries with a relevant row, ranking ties in row order", () => {
    // q0: labels [0, 1], scores [1, 0] → DCG = 1/log2 3, IDCG = 1. q1: no relevant row, left out.
    const ds: RankingDataset = {
      features: new Float32Array(4),
      featureCount: 1,
      labels: Float32Array.of(0, 1, 0, 0),
      groups: Int32Array.of(0, 2, 4),
    };
    expect(ndcgOfQueries(Float32Array.of(1, 0, 3, 4), ds, 10)).toBeCloseTo(1 / Math.log2(3), 12);
    expect(ndcgOfQueries(Float32Array.of(0, 1, 3, 4), ds, 10)).toBe(1);
    // Tied scores: row 0 ranks first.
    expect(ndcgOfQueries(Float32Array.of(2, 2, 3, 4), ds, 10)).toBeCloseTo(1 / Math.log2(3), 12);
    expect(ndcgOfQueries(Float32Array.of(1, 0, 3, 4), ds, 1)).toBe(0);
  });
});

describe("fitLambdaMart: one split by hand", () => {
  // Two queries of two rows each; feature 0 is noise, feature 1 separates relevance:
  //   row:       A0  B0  A1  B1
  //   feature 0:  7   5   5   7
  //   feature 1:  1   4   2   3
  //   label:      1   0   1   0
  // All scores start at 0. In each query the pair (A, B) has ρ = 1/(1+e⁰) = 1/2 and
  // |ΔNDCG| = (2¹−1)·(1 − 1/log2 3) / 1 = 0.3690702464 (the same whichever row ranks first), so
  //   g(A) = −ρ|Δ| = −0.1845351232, g(B) = +0.1845351232, h = ρ(1−ρ)|Δ| = 0.0922675616 for every row.
  // Root G = 0, H = 0.3690702464. λ = 1. Candidate splits (gain = G_L²/(H_L+1) + G_R²/(H_R+1) − 0):
  //   feature 0 ≤ 5: left {B0, A1}, G_L = 0, G_R = 0                      → gain 0, not a split
  //   feature 1 ≤ 1: left {A0}, G = −0.1845, H = 0.0923; right G = +0.1845, H = 0.2768
  //                  → 0.0340533/1.0922676 + 0.0340533/1.2768027 = 0.0578473
  //   feature 1 ≤ 2: left {A0, A1}, G = −0.3690702, H = 0.1845351; right mirrored
  //                  → 2 · 0.1362129/1.1845351 = 0.2299853  ← best
  //   feature 1 ≤ 3: mirror image of ≤ 1                                    → 0.0578473
  // Leaf values, learning rate 1: −G/(H+1) = ±0.3690702464/1.1845351232 = ±0.3115739155.
  const ds: RankingDataset = {
    features: Float32Array.of(7, 1, 5, 4, 5, 2, 7, 3),
    featureCount: 2,
    labels: Float32Array.of(1, 0, 1, 0),
    groups: Int32Array.of(0, 2, 4),
  };
  const params = { trees: 1, maxLeaves: 2, minRowsInLeaf: 1, learningRate: 1, l2: 1 };

  it("learns threshold 2 on feature 1 with Newton leaf values ±0.3115739155", () => {
    const model = fitLambdaMart(ds, params);
    expect(model.trees).toHaveLength(1);
    const [root, left, right] = model.trees[0]!.nodes;
    expect(root).toEqual({ feature: 1, threshold: 2, left: 1, right: 2 });
    expect(left).toEqual({ value: Math.fround(0.3115739155349) });
    expect(right).toEqual({ value: Math.fround(-0.3115739155349) });
    expect([...predict(model, ds.features, 2)]).toEqual([left, right, left, right].map((n) => (n as { value: number }).value));
  });

  it("scales leaves by the learning rate and respects minRowsInLeaf", () => {
    const half = fitLambdaMart(ds, { ...params, learningRate: 0.5 });
    expect(half.trees[0]!.nodes[1]).toEqual({ value: Math.fround(0.5 * 0.3115739155349) });
    // Every split leaves a side with fewer than 3 rows: no tree at all.
    expect(fitLambdaMart(ds, { ...params, minRowsInLeaf: 3 }).trees).toHaveLength(0);
  });
});

describe("quantileEdges", () => {
  it("uses every distinct value but the largest when they fit, quantiles otherwise", () => {
    expect([...quantileEdges(Float32Array.of(3, 1, 2, 2, 1), 4)]).toEqual([1, 2]);
    // 8 values, 4 bins: values at ranks 2, 4, 6 (1-based) are 1, 3, 5.
    expect([...quantileEdges(Float32Array.of(7, 0, 1, 2, 3, 4, 5, 6), 4)]).toEqual([1, 3, 5]);
    expect([...quantileEdges(Float32Array.of(4, 4, 4), 4)]).toEqual([]);
  });
});

/**
 * Queries of documents with 6 uniform features; relevance is a bump in (x0, x1)
 * centred off the middle, so no single feature orders it well in either direction,
 * plus label noise. x2..x5 are pure noise.
 */
function plantedQueries(seed: number, queries: number, perQuery: number): RankingDataset {
  const rand = mulberry32(seed);
  const F = 6;
  const rows = queries * perQuery;
  const features = new Float32Array(rows * F);
  const labels = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) features[r * F + f] = rand();
    const x0 = features[r * F]!;
    const x1 = features[r * F + 1]!;
    const z = Math.exp(-((x0 - 0.35) ** 2 + (x1 - 0.6) ** 2) / 0.05) + 0.15 * (rand() - 0.5);
    labels[r] = z > 0.75 ? 3 : z > 0.45 ? 2 : z > 0.2 ? 1 : 0;
  }
  return { features, featureCount: F, labels, groups: Int32Array.from({ length: queries + 1 }, (_, q) => q * perQuery) };
}

describe("fitLambdaMart: planted structure", () => {
  const train = plantedQueries(1, 300, 30);
  const test = plantedQueries(2, 150, 30);

  it("ranks held-out queries far better than random or any single feature", () => {
    const model = fitLambdaMart(train, { trees: 60, seed: 1 });
    const learned = ndcgOfQueries(predict(model, test.features, 6), test, 10);
    const rand = mulberry32(3);
    const random = ndcgOfQueries(
      Float32Array.from(test.labels, () => rand()),
      test,
      10,
    );
    let bestSingle = 0;
    for (let f = 0; f < 6; f++) {
      for (const sign of [1, -1]) {
        const s = Float32Array.from({ length: test.labels.length }, (_, r) => sign * test.features[r * 6 + f]!);
        bestSingle = Math.max(bestSingle, ndcgOfQueries(s, test, 10));
      }
    }
    expect(learned).toBeGreaterThan(random + 0.3);
    expect(learned).toBeGreaterThan(bestSingle + 0.2);
    expect(learned).toBeGreaterThan(0.85);
  });

  it("reports training NDCG that mostly rises, and only uses the two planted features near the root", () => {
    const seen: number[] = [];
    const model = fitLambdaMart(train, { trees: 30 }, (p) => seen.push(p.trainNdcg));
    expect(seen).toHaveLength(30);
    expect(seen[29]!).toBeGreaterThan(seen[0]! + 0.05);
    for (const tree of model.trees) {
      const root = tree.nodes[0]!;
      expect(isLeaf(root) ? -1 : root.feature).toBeLessThan(2);
    }
  });

  it("stops early on a validation set and keeps the best prefix", () => {
    const valid = plantedQueries(4, 100, 30);
    const noisy: RankingDataset = { ...train, labels: Float32Array.from(train.labels, (_, i) => (i * 7919) % 3) };
    const model = fitLambdaMart(noisy, { trees: 300, patience: 5 }, undefined, valid);
    const v = model.validation!;
    expect(v.treesGrown).toBeLessThan(300);
    expect(v.treesGrown - v.trees).toBe(5);
    expect(model.trees).toHaveLength(v.trees);
    expect(ndcgOfQueries(predict(model, valid.features, 6), valid, 10)).toBeCloseTo(v.bestNdcg, 12);
  });

  it("reports the training NDCG that predict's scores give, for short and long (600-row) queries", () => {
    const long = plantedQueries(9, 1, 600);
    const mixed: RankingDataset = {
      features: Float32Array.of(...train.features.subarray(0, 30 * 6 * 20), ...long.features),
      featureCount: 6,
      labels: Float32Array.of(...train.labels.subarray(0, 30 * 20), ...long.labels),
      groups: Int32Array.from([...train.groups.subarray(0, 21), 30 * 20 + 600]),
    };
    let last = Number.NaN;
    const model = fitLambdaMart(mixed, { trees: 10 }, (p) => (last = p.trainNdcg));
    expect(model.trees).toHaveLength(10);
    expect(ndcgOfQueries(predict(model, mixed.features, 6), mixed, 10)).toBeCloseTo(last, 12);
  });

  it("is deterministic for a seed, with feature sampling", () => {
    const a = fitLambdaMart(train, { trees: 5, featureFraction: 0.5, seed: 7 });
    const b = fitLambdaMart(train, { trees: 5, featureFraction: 0.5, seed: 7 });
    const c = fitLambdaMart(train, { trees: 5, featureFraction: 0.5, seed: 8 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c));
  });
});

/** The obvious recursive walk over the JSON, as a reader would do it by hand. */
function handWalk(model: TreeEnsemble, x: ArrayLike<number>): number {
  let s = model.baseScore;
  for (const tree of model.trees) {
    let node = tree.nodes[0]!;
    while (!isLeaf(node)) node = tree.nodes[x[node.feature]! <= Math.fround(node.threshold) ? node.left : node.right]!;
    s += node.value;
  }
  return Math.fround(s);
}

describe("predict", () => {
  // Tree A: x0 ≤ 0.1 ? 1 : (x1 ≤ −1 ? 2 : 3). Tree B: a single leaf 0.25. Base 0.5.
  const treeA: RegressionTree = {
    nodes: [{ feature: 0, threshold: 0.1, left: 1, right: 2 }, { value: 1 }, { feature: 1, threshold: -1, left: 3, right: 4 }, { value: 2 }, { value: 3 }],
  };
  const hand: TreeEnsemble = { featureCount: 2, baseScore: 0.5, trees: [treeA, { nodes: [{ value: 0.25 }] }] };

  it("scores a hand-built ensemble as walked by hand, with float32 thresholds and NaN going right", () => {
    // [0.1, 0]: float32(0.1) ≤ float32(0.1) → 1; total 1 + 0.25 + 0.5 = 1.75. (In float64, 0.1f > 0.1.)
    // [0.6, −1]: right; −1 ≤ −1 → 2; total 2.75.   [0.6, 3]: → 3; 3.75.   [NaN, −2]: NaN ≤ t is false → right → 2; 2.75.
    const x = Float32Array.of(0.1, 0, 0.6, -1, 0.6, 3, Number.NaN, -2);
    expect([...predict(hand, x, 2)]).toEqual([1.75, 2.75, 3.75, 2.75]);
  });

  it("equals a hand walk of a trained model's trees, before and after a JSON round trip", () => {
    const train = plantedQueries(5, 100, 20);
    const model = fitLambdaMart(train, { trees: 20 });
    const rand = mulberry32(6);
    const x = Float32Array.from({ length: 500 * 6 }, () => rand());
    // Values exactly on thresholds too: the ≤ boundary.
    const firstSplit = model.trees[0]!.nodes[0]!;
    if (!isLeaf(firstSplit)) x[firstSplit.feature] = firstSplit.threshold;
    const got = predict(model, x, 6);
    for (let r = 0; r < 500; r++) expect(got[r]).toBe(handWalk(model, x.subarray(r * 6, r * 6 + 6)));
    const copy = JSON.parse(JSON.stringify(model)) as TreeEnsemble;
    expect(predict(copy, x, 6)).toEqual(got);
  });

  it("rejects malformed ensembles and mismatched feature counts", () => {
    expect(() => predict(hand, new Float32Array(3), 2)).toThrow(/not a multiple/);
    expect(() => predict(hand, new Float32Array(3), 3)).toThrow(/does not match/);
    const cyclic: TreeEnsemble = {
      ...hand,
      trees: [{ nodes: [{ feature: 0, threshold: 0, left: 1, right: 2 }, { feature: 0, threshold: 0, left: 1, right: 2 }, { value: 0 }] }],
    };
    expect(() => compileEnsemble(cyclic)).toThrow(RangeError);
    const badFeature: TreeEnsemble = { ...hand, trees: [{ nodes: [{ feature: 2, threshold: 0, left: 1, right: 2 }, { value: 0 }, { value: 1 }] }] };
    expect(() => compileEnsemble(badFeature)).toThrow(/feature 2 is out of range/);
  });
});

describe("input validation", () => {
  const ok = (): RankingDataset => ({
    features: Float32Array.of(1, 2, 3, 4, 5, 6),
    featureCount: 2,
    labels: Float32Array.of(1, 0, 2),
    groups: Int32Array.of(0, 2, 3),
  });

  it("accepts a consistent dataset", () => {
    expect(() => fitLambdaMart(ok(), { minRowsInLeaf: 1, trees: 1 })).not.toThrow();
  });

  it("throws a RangeError naming the problem", () => {
    const cases: [Partial<RankingDataset>, RegExp][] = [
      [{ groups: Int32Array.of(0, 2) }, /groups must cover all rows/],
      [{ groups: Int32Array.of(1, 3) }, /groups must start at 0/],
      [{ groups: Int32Array.of(0, 2, 1, 3) }, /non-decreasing/],
      [{ features: Float32Array.of(1, 2, Number.NaN, 4, 5, 6) }, /features row 1, feature 0 is not finite/],
      [{ labels: Float32Array.of(1, -1, 2) }, /labels\[1\] is negative/],
      [{ features: Float32Array.of(1, 2, 3) }, /features has 3 values/],
    ];
    for (const [patch, message] of cases) {
      const ds = { ...ok(), ...patch };
      expect(() => fitLambdaMart(ds)).toThrow(RangeError);
      expect(() => fitLambdaMart(ds)).toThrow(message);
    }
    expect(() => fitLambdaMart(ok(), {}, undefined, { ...ok(), labels: Float32Array.of(0, Number.NaN, 0) })).toThrow(/validation.labels\[1\] is not finite/);
    expect(() => fitLambdaMart(ok(), { bins: 300 })).toThrow(/bins/);
  });
});
