import { describe, expect, it } from "vitest";
import { binOf, EMPTY_BIN_SHARE, psi, quantileEdges } from "./psi.js";

describe("population stability index", () => {
  it("is 0 for the same shares, whatever the counts", () => {
    expect(psi([10, 20, 70], [1, 2, 7])).toBe(0);
  });

  it("matches a hand computation", () => {
    // e = (0.5, 0.5), a = (0.8, 0.2):
    // (0.8−0.5)·ln(0.8/0.5) + (0.2−0.5)·ln(0.2/0.5) = 0.3·0.470004 + 0.3·0.916291 = 0.415888
    expect(psi([50, 50], [80, 20])).toBeCloseTo(0.415888, 6);
  });

  it("is symmetric in the two populations", () => {
    expect(psi([30, 30, 40], [10, 50, 40])).toBeCloseTo(psi([10, 50, 40], [30, 30, 40]), 12);
  });

  it("floors an empty bin instead of going infinite", () => {
    // e = (1, 0), a = (0.5, 0.5), the empty reference bin floored at 1e-4:
    const expected = (0.5 - 1) * Math.log(0.5 / 1) + (0.5 - EMPTY_BIN_SHARE) * Math.log(0.5 / EMPTY_BIN_SHARE);
    expect(psi([10, 0], [5, 5])).toBeCloseTo(expected, 12);
    expect(Number.isFinite(psi([10, 0], [5, 5]))).toBe(true);
  });

  it("refuses bins that do not line up", () => {
    expect(() => psi([1, 2], [1, 2, 3])).toThrow(/bins differ/);
  });
});

describe("quantile bins", () => {
  it("puts the edges at the weighted deciles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1 … 100, one event each
    expect(
      quantileEdges(
        values,
        values.map(() => 1),
      ),
    ).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    // Weight moves the edges: value 1 carries half the events.
    const weighted = quantileEdges([1, 2, 3, 4], [3, 1, 1, 1], 2);
    expect(weighted).toEqual([1]);
  });

  it("merges repeated edges and never makes the maximum an edge", () => {
    expect(quantileEdges([5, 5, 5, 5, 9], [1, 1, 1, 1, 1], 10)).toEqual([5]);
    expect(quantileEdges([7, 7, 7], [1, 1, 1])).toEqual([]);
  });

  it("bins a value to the first edge at or above it", () => {
    const edges = [10, 20, 30];
    expect([0, 10, 10.5, 20, 25, 30, 31].map((v) => binOf(v, edges))).toEqual([0, 0, 1, 1, 2, 2, 3]);
  });
});
