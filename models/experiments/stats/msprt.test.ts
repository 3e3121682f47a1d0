import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../prng.js";
import { alwaysValidDifferenceInterval, alwaysValidPValue, mixtureLogLikelihoodRatio, msprtLikelihoodRatio, msprtLook } from "./msprt.js";
import type { BinomialCounts } from "./proportions.js";
import { twoProportionZTest } from "./proportions.js";

function expectClose(actual: number, expected: number, rel = 1e-9, abs = 1e-15): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + abs);
}

/*
 * References: numpy 2.4.6, the formulas written out independently of the TS code
 *   def lam(xa, na, xb, nb, tau2):
 *       pp = (xa+xb)/(na+nb); V = pp*(1-pp)*(1/na+1/nb); th = xb/nb - xa/na
 *       return np.sqrt(V/(V+tau2))*np.exp(tau2*th*th/(2*V*(V+tau2)))
 *   def cs(xa, na, xb, nb, tau2, alpha):
 *       pa, pb = xa/na, xb/nb; V = pa*(1-pa)/na + pb*(1-pb)/nb; th = pb-pa
 *       h = np.sqrt(2*V*(V+tau2)/tau2*np.log(np.sqrt((V+tau2)/V)/alpha)); return th-h, th+h
 */
const CASES: ReadonlyArray<readonly [number, number, number, number, number, number, number, number]> = [
  // xa, na, xb, nb, tau², Λ, always-valid 95% interval
  [500, 10000, 560, 10000, 1e-4, 1.5408831529470977, -0.0036235671248928663, 0.015623567124892863],
  [500, 10000, 560, 10000, 1e-3, 0.5884026717404399, -0.004367442194879816, 0.016367442194879813],
  [48, 1000, 71, 1000, 1e-4, 2.216605601584284, -0.01658613874292951, 0.0625861387429295],
  [48, 1000, 71, 1000, 1e-3, 2.6575302860796772, -0.009076897338660572, 0.05507689733866056],
  [30, 800, 20, 900, 1e-4, 1.7850810250299345, -0.04368774922133099, 0.013132193665775442],
  [30, 800, 20, 900, 1e-3, 1.272509946655525, -0.040702004774459365, 0.010146449218903814],
  [1234, 25000, 1301, 24890, 1e-4, 0.5536856987857386, -0.0031960592534716354, 0.009016035147404943],
  [1234, 25000, 1301, 24890, 1e-3, 0.18472924310984662, -0.003786367431789229, 0.009606343325722536],
];

describe("mSPRT vs numpy", () => {
  it("Λ and the always-valid interval match to 1e-9", () => {
    for (const [xa, na, xb, nb, tauSquared, lambda, lo, hi] of CASES) {
      const a = { successes: xa, trials: na };
      const b = { successes: xb, trials: nb };
      expectClose(msprtLikelihoodRatio(a, b, { tauSquared }), lambda);
      const ci = alwaysValidDifferenceInterval(a, b, 0.05, { tauSquared });
      expectClose(ci.lower, lo);
      expectClose(ci.upper, hi);
    }
  });

  it("at the confidence-sequence boundary Λ(θ₀) = 1/α", () => {
    const v = 3e-5;
    const tau2 = 1e-4;
    const half = Math.sqrt(((2 * v * (v + tau2)) / tau2) * Math.log(Math.sqrt((v + tau2) / v) / 0.05));
    expectClose(Math.exp(mixtureLogLikelihoodRatio(0.01 + half, v, tau2, 0.01)), 20);
  });

  it("the p-value is the running minimum of 1/Λ, starting at 1", () => {
    const looks = [
      { a: { successes: 10, trials: 200 }, b: { successes: 25, trials: 200 } },
      { a: { successes: 20, trials: 400 }, b: { successes: 22, trials: 400 } },
    ];
    const first = msprtLook(1, looks[0]!.a, looks[0]!.b);
    const second = msprtLook(first.pValue, looks[1]!.a, looks[1]!.b);
    expect(first.pValue).toBeLessThan(1);
    expect(second.pValue).toBe(first.pValue); // the weaker second look cannot raise it
    expect(alwaysValidPValue(looks)).toBe(first.pValue);
    expect(msprtLook(1, { successes: 0, trials: 100 }, { successes: 0, trials: 100 }).pValue).toBe(1);
  });

  it("rejects a non-positive τ²", () => {
    expect(() => msprtLikelihoodRatio({ successes: 1, trials: 10 }, { successes: 2, trials: 10 }, { tauSquared: 0 })).toThrow(RangeError);
  });
});

// ---- simulation ----

/** Binomial(n, p) by n Bernoulli draws: slow but obviously right, and fast enough here. */
function binomial(rng: () => number, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (rng() < p) k++;
  return k;
}

interface SimulationResult {
  /** Share of runs where the mSPRT's always-valid p fell below α at some look, by sign of the effect. */
  readonly sequentialB: number;
  readonly sequentialA: number;
  /** Share of runs where a fixed-horizon z-test, read at every look, was below α at some look. */
  readonly naive: number;
}

/** `runs` experiments, each read after every one of `days` days of `perDay` impressions per arm. */
function simulate(seed: number, runs: number, days: number, perDay: number, pa: number, pb: number, alpha = 0.05): SimulationResult {
  const rng = mulberry32(seed);
  let sequentialB = 0;
  let sequentialA = 0;
  let naive = 0;
  for (let r = 0; r < runs; r++) {
    let a: BinomialCounts = { successes: 0, trials: 0 };
    let b: BinomialCounts = { successes: 0, trials: 0 };
    let p = 1;
    let decided = 0;
    let naiveHit = false;
    for (let d = 0; d < days; d++) {
      a = { successes: a.successes + binomial(rng, perDay, pa), trials: a.trials + perDay };
      b = { successes: b.successes + binomial(rng, perDay, pb), trials: b.trials + perDay };
      const look = msprtLook(p, a, b);
      p = look.pValue;
      if (decided === 0 && p < alpha) decided = Math.sign(look.difference);
      if (twoProportionZTest(a, b).pValue < alpha) naiveHit = true;
    }
    if (decided > 0) sequentialB++;
    if (decided < 0) sequentialA++;
    if (naiveHit) naive++;
  }
  return { sequentialB: sequentialB / runs, sequentialA: sequentialA / runs, naive: naive / runs };
}

describe("mSPRT under daily peeking (seeded simulation)", () => {
  it("A/A: 2,000 experiments × 30 daily looks, 5% CTR, 200 impressions/arm/day: false positives ≤ 5%, naive peeking well above", () => {
    const r = simulate(20240501, 2000, 30, 200, 0.05, 0.05);
    const sequential = r.sequentialA + r.sequentialB;
    console.info(`A/A false-positive rate with daily peeking: mSPRT ${(100 * sequential).toFixed(2)}%, naive z-test ${(100 * r.naive).toFixed(2)}%`);
    expect(sequential).toBeLessThanOrEqual(0.05);
    expect(r.naive).toBeGreaterThan(0.15); // the same looks with a fixed-horizon test: the inflation the mSPRT removes
  });

  it("power: a planted +20% relative lift (5% → 6% CTR), 500 impressions/arm/day for 30 days: B wins in most runs, never A", () => {
    const r = simulate(7, 400, 30, 500, 0.05, 0.06);
    console.info(`+20% lift: mSPRT declares B in ${(100 * r.sequentialB).toFixed(1)}% of runs, A in ${(100 * r.sequentialA).toFixed(1)}%`);
    expect(r.sequentialB).toBeGreaterThan(0.7);
    expect(r.sequentialA).toBe(0);
  });
});
