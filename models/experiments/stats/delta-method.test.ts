import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../prng.js";
import { deltaMethodRatioVariance, designEffect, type RatioMoments } from "./delta-method.js";
import { twoProportionZTest } from "./proportions.js";

function moments(users: ReadonlyArray<readonly [number, number]>): RatioMoments {
  const m = { users: users.length, sumX: 0, sumY: 0, sumXX: 0, sumYY: 0, sumXY: 0 };
  for (const [x, y] of users) {
    m.sumX += x;
    m.sumY += y;
    m.sumXX += x * x;
    m.sumYY += y * y;
    m.sumXY += x * y;
  }
  return m;
}

/** A gamma draw (Marsaglia–Tsang; shape < 1 through the shape + 1 boost), for the beta-distributed user CTRs. */
function gamma(rng: () => number, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * rng() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box–Muller normal.
      x = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
      v = 1 + c * x;
    } while (v <= 0);
    v = v ** 3;
    const u = rng();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** One arm: `users` users with `per` impressions each; a user's CTR ~ Beta(a, b) (mean a/(a+b)). */
function arm(rng: () => number, users: number, per: number, a: number, b: number): Array<[number, number]> {
  return Array.from({ length: users }, () => {
    const ga = gamma(rng, a);
    const p = ga / (ga + gamma(rng, b));
    let clicks = 0;
    for (let i = 0; i < per; i++) if (rng() < p) clicks++;
    return [clicks, per];
  });
}

describe("delta-method variance of a ratio of per-user sums", () => {
  it("matches numpy on a hand-checkable case", () => {
    // x = [0,1,3,0,2], y = [5,4,6,2,3]: μx 1.2, μy 4, s_xx 1.7, s_yy 2.5, s_xy 1
    // Var = (1.7/16 − 2·1.2·1/64 + 1.44·2.5/256)/5 = 0.0165625
    // numpy: (x.var(ddof=1)/my**2 - 2*mx*np.cov(x,y)[0,1]/my**3 + mx**2*y.var(ddof=1)/my**4)/5
    const m = moments([
      [0, 5],
      [1, 4],
      [3, 6],
      [0, 2],
      [2, 3],
    ]);
    expect(deltaMethodRatioVariance(m)).toBeCloseTo(0.0165625, 12);
    // binomial: 0.3·0.7/20 = 0.0105; 0.0165625/0.0105
    expect(designEffect(m)).toBeCloseTo(1.5773809523809526, 12);
  });

  it("is undefined (design effect 1) without two users or any impression, or with no clicks", () => {
    expect(deltaMethodRatioVariance(moments([[1, 4]]))).toBeNull();
    expect(
      deltaMethodRatioVariance(
        moments([
          [0, 0],
          [0, 0],
        ]),
      ),
    ).toBeNull();
    expect(designEffect(moments([[1, 4]]))).toBe(1);
    expect(
      designEffect(
        moments([
          [0, 4],
          [0, 6],
        ]),
      ),
    ).toBe(1);
  });

  it("estimates the spread of the rate across repeated experiments when users differ", () => {
    const rng = mulberry32(11);
    const rates: number[] = [];
    const estimates: number[] = [];
    for (let s = 0; s < 400; s++) {
      const users = arm(rng, 200, 20, 0.5, 4.5);
      const m = moments(users);
      rates.push(m.sumX / m.sumY);
      estimates.push(deltaMethodRatioVariance(m)!);
    }
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    const empirical = rates.reduce((a, r) => a + (r - mean) ** 2, 0) / (rates.length - 1);
    const estimated = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    expect(estimated / empirical).toBeGreaterThan(0.85);
    expect(estimated / empirical).toBeLessThan(1.15);
    // Beta(0.5, 4.5): intra-user correlation 1/(a+b+1) = 1/6, so deff ≈ 1 + 19/6 ≈ 4.2.
    expect(estimated / ((0.1 * 0.9) / 4000)).toBeGreaterThan(3.5);
  });

  it("stays near 1 when every impression is independent", () => {
    const rng = mulberry32(12);
    const effects = Array.from({ length: 100 }, () => designEffect(moments(arm(rng, 200, 20, 100, 900))));
    expect(effects.reduce((a, b) => a + b, 0) / effects.length).toBeLessThan(1.15);
  });

  it("brings an A/A z-test on clustered users back to its nominal 5%", () => {
    const rng = mulberry32(13);
    let naive = 0;
    let corrected = 0;
    const runs = 600;
    for (let s = 0; s < runs; s++) {
      const a = moments(arm(rng, 200, 20, 0.5, 4.5));
      const b = moments(arm(rng, 200, 20, 0.5, 4.5));
      if (twoProportionZTest({ successes: a.sumX, trials: a.sumY }, { successes: b.sumX, trials: b.sumY }).pValue < 0.05) naive++;
      const [da, db] = [designEffect(a), designEffect(b)];
      const effective = (m: RatioMoments, d: number) => ({ successes: m.sumX / d, trials: m.sumY / d });
      if (twoProportionZTest(effective(a, da), effective(b, db)).pValue < 0.05) corrected++;
    }
    // Printed so a reader sees the size of the problem, not just that a bound held.
    console.warn(JSON.stringify({ level: "warn", msg: "A/A on clustered users", naive_fpr: naive / runs, corrected_fpr: corrected / runs }));
    expect(naive / runs).toBeGreaterThan(0.2);
    expect(corrected / runs).toBeLessThan(0.08);
  });
});
