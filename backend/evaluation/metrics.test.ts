import { describe, expect, it } from "vitest";
import { averagePrecisionAtK, catalogCoverage, hitPositions, hitRateAtK, idealDcg, mapAtK, ndcgAtK, precisionAtK, recallAtK } from "./metrics.js";

// log2 values used below: log2(2)=1, log2(3)=1.5849625, log2(4)=2, log2(5)=2.3219281, log2(6)=2.5849625
// so the discounts 1/log2(p+1) for p=1..5 are 1, 0.6309298, 0.5, 0.4306766, 0.3868528.

describe("hand-computed case: L=[a,b,c,d,e], R={b,d,f}", () => {
  const L = ["a", "b", "c", "d", "e"];
  const R = new Set(["b", "d", "f"]);

  it("K=5: hits at positions 2 and 4", () => {
    expect(hitPositions(L, R, 5)).toEqual([2, 4]);
    // Recall = 2 hits / |R|=3
    expect(recallAtK(L, R, 5)).toBeCloseTo(2 / 3, 10);
    expect(hitRateAtK(L, R, 5)).toBe(1);
    // Precision = 2 hits / K=5
    expect(precisionAtK(L, R, 5)).toBeCloseTo(2 / 5, 10);
    // DCG = 1/log2(3) + 1/log2(5) = 0.6309298 + 0.4306766 = 1.0616064
    // IDCG over min(5,3)=3 positions = 1 + 0.6309298 + 0.5 = 2.1309298
    // NDCG = 1.0616064 / 2.1309298 = 0.4981894
    expect(ndcgAtK(L, R, 5)).toBeCloseTo(0.4981894, 6);
    // AP = (P@2 + P@4) / min(5,3) = (1/2 + 2/4) / 3 = 1/3
    expect(averagePrecisionAtK(L, R, 5)).toBeCloseTo(1 / 3, 10);
  });

  it("K=3: only the hit at position 2 counts", () => {
    expect(recallAtK(L, R, 3)).toBeCloseTo(1 / 3, 10);
    expect(precisionAtK(L, R, 3)).toBeCloseTo(1 / 3, 10);
    // A list shorter than K still divides by K: one hit in [b] is 1/10 at K=10.
    expect(precisionAtK(["b"], R, 10)).toBeCloseTo(0.1, 10);
    // NDCG = 0.6309298 / 2.1309298 = 0.2960819
    expect(ndcgAtK(L, R, 3)).toBeCloseTo(0.2960819, 6);
    // AP = (1/2) / min(3,3) = 1/6
    expect(averagePrecisionAtK(L, R, 3)).toBeCloseTo(1 / 6, 10);
  });

  it("K=1: no hit, everything is 0", () => {
    expect(recallAtK(L, R, 1)).toBe(0);
    expect(ndcgAtK(L, R, 1)).toBe(0);
    expect(averagePrecisionAtK(L, R, 1)).toBe(0);
    expect(hitRateAtK(L, R, 1)).toBe(0);
  });
});

describe("published worked examples", () => {
  it("binary NDCG@5 matches Evret's worked example (kaivid-labs.github.io/evret/metrics/ndcg)", () => {
    // retrieved [d1,d4,d2,d9,d8], relevant {d2,d8,d10}: DCG 0.8869, IDCG 2.1309, nDCG@5 0.4162
    const L = ["d1", "d4", "d2", "d9", "d8"];
    const R = ["d2", "d8", "d10"];
    expect(idealDcg(3)).toBeCloseTo(2.1309, 4);
    expect(ndcgAtK(L, R, 5)).toBeCloseTo(0.4162, 4);
  });

  it("MAP@K matches the examples in the CRAN Metrics package's mapk documentation", () => {
    // mapk(2, list(c('a','b'), c('a'), c('x','y','b')), list(c('a','c','d'), c('x','b','a','b'), c('y'))) = 0.3333333
    // by hand: (1/1)/2 = 0.5;  0;  (1/1)/min(3,2) = 0.5  → mean 1/3
    expect(mapAtK([["a", "c", "d"], ["x", "b", "a", "b"], ["y"]], [["a", "b"], ["a"], ["x", "y", "b"]], 2)).toBeCloseTo(0.3333333, 7);
    // mapk(3, list(c(1,5,7,9), c(2,3), c(2,5,6)), list(c(5,6,7,8,9), c(1,2,3), c(2,4,6,8))) = 0.5648148
    // by hand: (1 + 2/3)/3 = 0.5555556;  (1/2 + 2/3)/2 = 0.5833333;  (1 + 2/3)/3 = 0.5555556 → 0.5648148
    const s = (xs: number[]) => xs.map(String);
    expect(mapAtK([s([5, 6, 7, 8, 9]), s([1, 2, 3]), s([2, 4, 6, 8])], [s([1, 5, 7, 9]), s([2, 3]), s([2, 5, 6])], 3)).toBeCloseTo(0.5648148, 7);
  });
});

describe("edge cases", () => {
  it("no relevant items: every metric is 0, not NaN", () => {
    expect(recallAtK(["a"], [], 5)).toBe(0);
    expect(ndcgAtK(["a"], [], 5)).toBe(0);
    expect(averagePrecisionAtK(["a"], [], 5)).toBe(0);
    expect(hitRateAtK(["a"], [], 5)).toBe(0);
    expect(idealDcg(0)).toBe(0);
  });

  it("K larger than the list: the short list is not forgiven", () => {
    // L=[a], R={a,b}, K=10: recall 1/2; DCG 1, IDCG = 1 + 0.6309298 → 0.6131472; AP = 1/min(10,2) = 0.5
    expect(recallAtK(["a"], ["a", "b"], 10)).toBe(0.5);
    expect(ndcgAtK(["a"], ["a", "b"], 10)).toBeCloseTo(0.6131472, 6);
    expect(averagePrecisionAtK(["a"], ["a", "b"], 10)).toBe(0.5);
    expect(hitRateAtK(["a"], ["a", "b"], 10)).toBe(1);
    expect(recallAtK([], ["a"], 10)).toBe(0);
  });

  it("more relevant items than K: a perfect top-K still scores 1 on NDCG and AP", () => {
    expect(ndcgAtK(["a", "b"], ["a", "b", "c"], 2)).toBeCloseTo(1, 12);
    expect(averagePrecisionAtK(["a", "b"], ["a", "b", "c"], 2)).toBeCloseTo(1, 12);
    expect(recallAtK(["a", "b"], ["a", "b", "c"], 2)).toBeCloseTo(2 / 3, 12);
  });

  it("duplicates in a list count once and still take a slot", () => {
    const R = ["a", "b"];
    // K=2, L=[a,a,b]: only position 1 is a hit. recall 1/2; NDCG 1/1.6309298 = 0.6131472; AP (1/1)/2 = 0.5
    expect(hitPositions(["a", "a", "b"], new Set(R), 2)).toEqual([1]);
    expect(recallAtK(["a", "a", "b"], R, 2)).toBe(0.5);
    expect(ndcgAtK(["a", "a", "b"], R, 2)).toBeCloseTo(0.6131472, 6);
    expect(averagePrecisionAtK(["a", "a", "b"], R, 2)).toBe(0.5);
    // K=3: hits at 1 and 3. NDCG (1 + 0.5)/1.6309298 = 0.9197208; AP (1/1 + 2/3)/2 = 0.8333333
    expect(ndcgAtK(["a", "a", "b"], R, 3)).toBeCloseTo(0.9197208, 6);
    expect(averagePrecisionAtK(["a", "a", "b"], R, 3)).toBeCloseTo(5 / 6, 10);
    // never better than the same list without the duplicate
    expect(ndcgAtK(["a", "a", "b"], R, 3)).toBeLessThan(ndcgAtK(["a", "b"], R, 3));
    expect(recallAtK(["a", "a", "a"], ["a"], 3)).toBe(1);
  });

  it("duplicates in the relevant array collapse", () => {
    expect(recallAtK(["a"], ["a", "a"], 1)).toBe(1);
  });

  it("rejects a K that is not a positive integer", () => {
    expect(() => recallAtK(["a"], ["a"], 0)).toThrow(RangeError);
    expect(() => ndcgAtK(["a"], [], 1.5)).toThrow(RangeError);
    expect(() => catalogCoverage([], new Set(["a"]), -1)).toThrow(RangeError);
  });

  it("MAP of no users is NaN and mismatched inputs throw", () => {
    expect(mapAtK([], [], 5)).toBeNaN();
    expect(() => mapAtK([["a"]], [], 5)).toThrow(RangeError);
  });
});

describe("catalog coverage", () => {
  const catalog = new Set(["a", "b", "c", "d", "e"]);
  const lists = [
    ["a", "b", "c"],
    ["a", "d", "x"],
  ];
  it("counts distinct items in the top K against the catalog size", () => {
    // K=2: {a,b,d} → 3/5
    expect(catalogCoverage(lists, catalog, 2)).toBeCloseTo(0.6, 12);
    // K=3: {a,b,c,d}; x is not in the catalog and is ignored → 4/5
    expect(catalogCoverage(lists, catalog, 3)).toBeCloseTo(0.8, 12);
  });
  it("is 0 for an empty catalog or no lists", () => {
    expect(catalogCoverage(lists, new Set(), 3)).toBe(0);
    expect(catalogCoverage([], catalog, 3)).toBe(0);
  });
});
