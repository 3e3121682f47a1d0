import { describe, expect, it } from "vitest";
import { normalCdf, normalPdf, normalQuantile, normalSf, twoSidedZ } from "./normal.js";

/** |actual − expected| ≤ rel·|expected| + abs: relative 1e-9, well inside the required 1e-6. */
function expectClose(actual: number, expected: number, rel = 1e-9, abs = 1e-15): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + abs);
}

/*
 * References: scipy 1.17.1
 *   from scipy import stats
 *   for x in xs: print(x, repr(stats.norm.cdf(x)), repr(stats.norm.sf(x)))
 *   for p in ps: print(p, repr(stats.norm.ppf(p)))
 */
const CDF_SF: ReadonlyArray<readonly [number, number, number]> = [
  [-30, 4.906713927147908e-198, 1.0],
  [-10, 7.61985302416047e-24, 1.0],
  [-6, 9.865876450376946e-10, 0.9999999990134123],
  [-3.5, 0.00023262907903552502, 0.9997673709209645],
  [-3, 0.0013498980316300933, 0.9986501019683699],
  [-1.96, 0.024997895148220435, 0.9750021048517795],
  [-1, 0.15865525393145707, 0.8413447460685429],
  [0, 0.5, 0.5],
  [0.5, 0.6914624612740131, 0.3085375387259869],
  [1.2345, 0.8914916766373298, 0.10850832336267019],
  [2.5, 0.9937903346742238, 0.006209665325776132],
  [3, 0.9986501019683699, 0.0013498980316300933],
  [4.5, 0.9999966023268753, 3.3976731247300535e-6],
  [8, 0.9999999999999993, 6.22096057427174e-16],
];

const PPF: ReadonlyArray<readonly [number, number]> = [
  [1e-300, -37.0470962993612],
  [1e-12, -7.034483825301131],
  [1e-6, -4.753424308822899],
  [0.001, -3.090232306167813],
  [0.01, -2.3263478740408408],
  [0.025, -1.9599639845400545],
  [0.2, -0.8416212335729142],
  [0.5, 0.0],
  [0.8, 0.8416212335729143],
  [0.975, 1.959963984540054],
  [0.999, 3.090232306167813],
  [1 - 1e-12, 7.0344869100478356],
];

describe("normal distribution vs scipy.stats.norm", () => {
  it("cdf and sf match to 1e-9 relative, deep tails included", () => {
    for (const [x, cdf, sf] of CDF_SF) {
      expectClose(normalCdf(x), cdf);
      expectClose(normalSf(x), sf);
    }
  });

  it("ppf matches to 1e-9 relative", () => {
    for (const [p, x] of PPF) expectClose(normalQuantile(p), x, 1e-9, 1e-12);
  });

  it("ppf inverts cdf and handles the ends", () => {
    for (const x of [-20, -5, -0.3, 0.7, 4]) expectClose(normalQuantile(normalCdf(x)), x, 1e-9, 1e-12);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
  });

  it("pdf and the two-sided critical value", () => {
    expectClose(normalPdf(0), 1 / Math.sqrt(2 * Math.PI));
    expectClose(twoSidedZ(0.95), 1.959963984540054);
    expect(() => twoSidedZ(1)).toThrow(RangeError);
  });
});
