import { describe, expect, it } from "vitest";
import type { VariantTally } from "./verdict.js";
import { experimentVerdict, formatP } from "./verdict.js";

const tally = (variant: string, users: number, impressions: number, clicks: number, conversions: number, weight = 1): VariantTally => ({
  variant,
  weight,
  users,
  impressions,
  clicks,
  conversions,
});

/*
 * The winner case, cross-checked with scipy 1.17.1 / numpy 2.4.6:
 *   rr = relative_risk(1150, 20000, 1000, 20000); ci = rr.confidence_interval(0.95)
 *   → lift 0.15, CI 0.05898796768409098 … 0.2488338303712605   ("+15.0% (95% CI +5.9% to +24.9%)")
 *   pp = 2150/40000; V = pp*(1-pp)*(2/20000); th = 0.0575 - 0.05; tau2 = 1e-4
 *   1/(np.sqrt(V/(V+tau2))*np.exp(tau2*th*th/(2*V*(V+tau2)))) → 0.02356455959105974   ("p = 0.024")
 */
const A = tally("A", 5000, 20000, 1000, 80);
const B_WINS = tally("B", 5000, 20000, 1150, 95);

describe("experimentVerdict", () => {
  it("winner: B beats A, with the lift, its interval and the sequential p", () => {
    const v = experimentVerdict({ variants: [A, B_WINS], control: "A", primaryMetric: "ctr" });
    expect(v.sentence).toBe("B beats A on CTR by +15.0% (95% CI +5.9% to +24.9%), sequential p = 0.024");
    expect(v.status).toBe("ok");
    const c = v.comparisons[0]!;
    expect(c).toMatchObject({ status: "winner", winner: "B", treatment: "B", control: "A", metric: "ctr", reason: null });
    expect(c.metrics.ctr.sequentialP).toBeCloseTo(0.02356455959105974, 12);
    expect(c.metrics.ctr.lift!.lower).toBeCloseTo(0.05898796768409098, 12);
    expect(v.sequentialState).toEqual({ B: { ctr: c.metrics.ctr.sequentialP, conversion_rate: c.metrics.conversion_rate.sequentialP } });
    expect(v.variants.map((s) => s.ctr.rate)).toEqual([0.05, 0.0575]);
  });

  it("user-level clustering: the same counts with a design effect of 4 are no longer a winner", () => {
    // scipy/numpy on the effective counts 250/5000 vs 287.5/5000 (the formulas above):
    //   1/Λ → 0.7710784121356854; z-test p = 2*norm.sf(|θ̂|/√V) → 0.09635318861541703
    const clustered = (t: VariantTally): VariantTally => ({ ...t, designEffect: { ctr: 4 } });
    const v = experimentVerdict({ variants: [clustered(A), clustered(B_WINS)], control: "A", primaryMetric: "ctr" });
    const c = v.comparisons[0]!;
    expect(c.status).toBe("not_enough_data");
    expect(c.metrics.ctr.sequentialP).toBeCloseTo(0.7710784121356854, 12);
    expect(c.metrics.ctr.zTest.pValue).toBeCloseTo(0.09635318861541703, 12);
    // The rates and the counts shown are the observed ones.
    expect(v.variants.map((s) => [s.impressions, s.clicks, s.ctr.rate])).toEqual([
      [20000, 1000, 0.05],
      [20000, 1150, 0.0575],
    ]);
  });

  it("loser: when the treatment is worse the sentence turns round, with A's lift over B", () => {
    const v = experimentVerdict({ variants: [tally("A", 5000, 20000, 1150, 80), tally("B", 5000, 20000, 1000, 95)], control: "A", primaryMetric: "ctr" });
    expect(v.sentence).toBe("A beats B on CTR by +15.0% (95% CI +5.9% to +24.9%), sequential p = 0.024");
    expect(v.comparisons[0]).toMatchObject({ status: "loser", winner: "A" });
    expect(v.comparisons[0]!.metrics.ctr.lift!.lift).toBeCloseTo(1000 / 1150 - 1, 12); // B's own lift stays negative
  });

  it("not enough data: a small effect the sequential test cannot yet call, even where the fixed z-test would", () => {
    const v = experimentVerdict({ variants: [A, tally("B", 5000, 20000, 1040, 95)], control: "A", primaryMetric: "ctr" });
    expect(v.sentence).toBe("not enough data yet: B vs A on CTR +4.0% (95% CI -4.4% to +13.2%), sequential p = 1");
    expect(v.comparisons[0]).toMatchObject({ status: "not_enough_data", reason: "not_significant", winner: null });

    const peeked = experimentVerdict({ variants: [A, tally("B", 5000, 20000, 1100, 95)], control: "A", primaryMetric: "ctr" });
    expect(peeked.comparisons[0]!.metrics.ctr.zTest.pValue).toBeLessThan(0.05);
    expect(peeked.comparisons[0]!.status).toBe("not_enough_data");
  });

  it("not enough data: below the minimum sample, and the stored sequential p passes through", () => {
    const v = experimentVerdict({
      variants: [tally("A", 30, 80, 4, 0), tally("B", 30, 120, 9, 1)],
      control: "A",
      primaryMetric: "ctr",
      previousSequentialP: { B: { ctr: 0.4 } },
    });
    expect(v.sentence).toBe("not enough data yet: 100 impressions per variant needed (A has 80, B has 120)");
    expect(v.comparisons[0]).toMatchObject({ status: "not_enough_data", reason: "min_sample" });
    expect(v.sequentialState).toEqual({ B: { ctr: 0.4, conversion_rate: 1 } });
  });

  it("sample ratio mismatch: untrustworthy, no winner even with a large effect", () => {
    const v = experimentVerdict({ variants: [tally("A", 1000, 20000, 1000, 80), tally("B", 800, 20000, 1150, 95)], control: "A", primaryMetric: "ctr" });
    expect(v.status).toBe("sample_ratio_mismatch");
    expect(v.sentence).toBe("sample ratio mismatch: results untrustworthy (users A 1,000, B 800; expected 50% / 50%; p < 0.001)");
    expect(v.comparisons[0]).toMatchObject({ status: "sample_ratio_mismatch", winner: null });
    expect(v.srm.pValue).toBeCloseTo(2.4284674729758432e-6, 15); // scipy.stats.chisquare([1000, 800])
  });

  it("the sequential p is a running minimum across readouts", () => {
    const v = experimentVerdict({
      variants: [A, tally("B", 5000, 20000, 1040, 95)],
      control: "A",
      primaryMetric: "ctr",
      previousSequentialP: { B: { ctr: 0.03 } },
    });
    expect(v.sequentialState.B?.ctr).toBe(0.03);
    expect(v.comparisons[0]!.status).toBe("winner"); // an earlier look already crossed α; the guarantee covers stopping there
  });

  it("conversion as primary metric; a 0 control rate is reported in percentage points", () => {
    const v = experimentVerdict({
      variants: [tally("A", 5000, 20000, 1000, 0), tally("B", 5000, 20000, 1000, 60)],
      control: "A",
      primaryMetric: "conversion_rate",
    });
    expect(v.sentence).toBe("B beats A on conversion rate by +0.30 percentage points (95% CI +0.22 to +0.38), sequential p < 0.001");
  });

  it("three variants split α (Bonferroni) and give one sentence per treatment", () => {
    const C = tally("C", 5000, 20000, 1010, 95);
    const v = experimentVerdict({ variants: [A, B_WINS, C], control: "A", primaryMetric: "ctr", previousSequentialP: { B: { ctr: 0.03 } } });
    expect(v.alphaPerComparison).toBe(0.025);
    expect(v.comparisons.map((c) => c.status)).toEqual(["winner", "not_enough_data"]);
    const two = experimentVerdict({
      variants: [A, tally("B", 5000, 20000, 1040, 95), C],
      control: "A",
      primaryMetric: "ctr",
      previousSequentialP: { B: { ctr: 0.03 } },
    });
    expect(two.comparisons[0]!.status).toBe("not_enough_data"); // 0.03 < 0.05 but not < 0.025
    expect(two.sentence.split("; ")).toHaveLength(2);
  });

  it("rejects a missing control, duplicate names, a single variant", () => {
    expect(() => experimentVerdict({ variants: [A, B_WINS], control: "Z", primaryMetric: "ctr" })).toThrow(RangeError);
    expect(() => experimentVerdict({ variants: [A, A], control: "A", primaryMetric: "ctr" })).toThrow(RangeError);
    expect(() => experimentVerdict({ variants: [A], control: "A", primaryMetric: "ctr" })).toThrow(RangeError);
  });

  it("formats p-values in plain words", () => {
    expect(formatP(0.01)).toBe("p = 0.01");
    expect(formatP(0.04712)).toBe("p = 0.047");
    expect(formatP(0.0004)).toBe("p < 0.001");
  });
});
