import { describe, expect, it } from "vitest";
import { sampleRatioMismatch } from "./srm.js";

function expectClose(actual: number, expected: number, rel = 1e-9, abs = 1e-15): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + abs);
}

const arms = (users: readonly number[], weights: readonly number[]) =>
  users.map((u, i) => ({ variant: String.fromCharCode(65 + i), users: u, weight: weights[i] ?? 0 }));

/*
 * References: scipy 1.17.1
 *   obs = np.array(users, float); w = np.array(weights, float); exp = obs.sum()*w/w.sum()
 *   res = stats.chisquare(obs, exp); print(repr(res.statistic), repr(res.pvalue))
 */
const CASES: ReadonlyArray<readonly [readonly number[], readonly number[], number, number]> = [
  [[5000, 5000], [1, 1], 0.0, 1.0],
  [[5100, 4900], [1, 1], 4.0, 0.04550026389635857],
  [[5200, 4800], [50, 50], 16.0, 6.334248366623988e-5],
  [[3300, 3350, 3150], [1, 1, 1], 6.63265306122449, 0.0362858823037167],
  [[2000, 7800], [0.2, 0.8], 1.0204081632653061, 0.3124222112426905],
  [[1000, 800], [1, 1], 22.22222222222222, 2.4284674729758432e-6],
];

describe("sample-ratio mismatch vs scipy.stats.chisquare", () => {
  it("statistic and p-value match; flagged only below 0.001", () => {
    for (const [users, weights, stat, p] of CASES) {
      const r = sampleRatioMismatch(arms(users, weights));
      expectClose(r.statistic, stat);
      expectClose(r.pValue, p);
      expect(r.degreesOfFreedom).toBe(users.length - 1);
      expect(r.mismatch).toBe(p < 0.001);
    }
  });

  it("users in a zero-weight variant are a mismatch; no users is not", () => {
    expect(sampleRatioMismatch(arms([500, 500, 3], [1, 1, 0])).mismatch).toBe(true);
    expect(sampleRatioMismatch(arms([500, 520, 0], [1, 1, 0]))).toMatchObject({ degreesOfFreedom: 1, mismatch: false });
    expect(sampleRatioMismatch(arms([0, 0], [1, 1]))).toMatchObject({ pValue: 1, mismatch: false });
    expect(() => sampleRatioMismatch(arms([1, 1], [0, 0]))).toThrow(RangeError);
  });
});
