import { describe, expect, it } from "vitest";
import { differenceInterval, invertLift, rate, relativeLift, twoProportionZTest, wilsonInterval } from "./proportions.js";

function expectClose(actual: number, expected: number, rel = 1e-9, abs = 1e-15): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + abs);
}

/*
 * References: scipy 1.17.1, numpy 2.4.6
 *   from scipy import stats; from scipy.stats.contingency import relative_risk
 *   z = stats.norm.ppf(0.975)
 *   # Wilson: scipy's own implementation (and the textbook formula in numpy agrees to 1e-16)
 *   ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
 *   # pooled z-test, written out
 *   pa, pb = xa/na, xb/nb; pp = (xa+xb)/(na+nb)
 *   zz = (pb-pa)/np.sqrt(pp*(1-pp)*(1/na+1/nb)); pv = 2*stats.norm.sf(abs(zz))
 *   # unpooled Wald difference interval
 *   se = np.sqrt(pa*(1-pa)/na + pb*(1-pb)/nb); (pb-pa-z*se, pb-pa+z*se)
 *   # lift = relative risk − 1, scipy's Katz log interval
 *   rr = relative_risk(xb, nb, xa, na); ci = rr.confidence_interval(0.95); (rr.relative_risk-1, ci.low-1, ci.high-1)
 */
const WILSON: ReadonlyArray<readonly [number, number, number, number]> = [
  [0, 50, 0.0, 0.07134759913335872],
  [3, 50, 0.020614970348973957, 0.1621709168883817],
  [50, 1000, 0.03813026239274881, 0.06531382024425081],
  [412, 9876, 0.03794890115204336, 0.0458420647527384],
  [1000, 1000, 0.9961732415144449, 1.0],
];

interface TwoArmCase {
  readonly xa: number;
  readonly na: number;
  readonly xb: number;
  readonly nb: number;
  readonly z: number;
  readonly p: number;
  readonly diff: readonly [number, number, number];
  readonly lift: readonly [number, number, number];
}

const TWO_ARM: readonly TwoArmCase[] = [
  {
    xa: 500,
    na: 10000,
    xb: 560,
    nb: 10000,
    z: 1.8937529756356748,
    p: 0.05825780603351623,
    diff: [0.005999999999999998, -0.00020922034622822445, 0.012209220346228221],
    lift: [0.11999999999999988, -0.004027460720327891, 0.25947247592512235],
  },
  {
    xa: 48,
    na: 1000,
    xb: 71,
    nb: 1000,
    z: 2.174077169227681,
    p: 0.02969934024682713,
    diff: [0.022999999999999993, 0.0022896623729934604, 0.043710337627006525],
    lift: [0.4791666666666665, 0.03652857729034542, 1.1108284669752124],
  },
  {
    xa: 30,
    na: 800,
    xb: 20,
    nb: 900,
    z: -1.860903802716025,
    p: 0.06275776267922238,
    diff: [-0.015277777777777776, -0.031589088474057433, 0.001033532918501879],
    lift: [-0.40740740740740733, -0.6607330496248514, 0.03507276617219701],
  },
  {
    xa: 1234,
    na: 25000,
    xb: 1301,
    nb: 24890,
    z: 1.4798186366272525,
    p: 0.1389216537163004,
    diff: [0.0029099879469666537, -0.0009443270800088967, 0.0067643029739422045],
    lift: [0.05895437493854638, -0.018425756394738757, 0.14243458964725098],
  },
];

describe("one rate: Wilson interval vs scipy binomtest(...).proportion_ci(method='wilson')", () => {
  it("matches to 1e-9", () => {
    for (const [k, n, lo, hi] of WILSON) {
      const w = wilsonInterval({ successes: k, trials: n });
      expectClose(w.rate, k / n);
      expectClose(w.lower, lo);
      expectClose(w.upper, hi);
    }
  });

  it("no trials: the whole [0, 1]; impossible counts throw", () => {
    expect(wilsonInterval({ successes: 0, trials: 0 })).toEqual({ rate: 0, lower: 0, upper: 1 });
    expect(() => rate({ successes: 5, trials: 4 })).toThrow(RangeError);
    expect(() => rate({ successes: -1, trials: 4 })).toThrow(RangeError);
  });
});

describe("two rates vs written-out scipy formulas", () => {
  it("pooled z-test statistic and two-sided p-value", () => {
    for (const c of TWO_ARM) {
      const t = twoProportionZTest({ successes: c.xa, trials: c.na }, { successes: c.xb, trials: c.nb });
      expectClose(t.z, c.z);
      expectClose(t.pValue, c.p);
    }
  });

  it("difference with its unpooled Wald interval", () => {
    for (const c of TWO_ARM) {
      const d = differenceInterval({ successes: c.xa, trials: c.na }, { successes: c.xb, trials: c.nb });
      expectClose(d.difference, c.diff[0]);
      expectClose(d.lower, c.diff[1]);
      expectClose(d.upper, c.diff[2]);
    }
  });

  it("relative lift with the log-method interval (scipy relative_risk, Katz)", () => {
    for (const c of TWO_ARM) {
      const l = relativeLift({ successes: c.xa, trials: c.na }, { successes: c.xb, trials: c.nb });
      expect(l).not.toBeNull();
      expectClose(l!.lift, c.lift[0]);
      expectClose(l!.lower, c.lift[1]);
      expectClose(l!.upper, c.lift[2]);
    }
  });

  it("inverting the lift equals computing it with the arms swapped", () => {
    const a = { successes: 48, trials: 1000 };
    const b = { successes: 71, trials: 1000 };
    const swapped = relativeLift(b, a)!;
    const inverted = invertLift(relativeLift(a, b)!);
    expectClose(inverted.lift, swapped.lift);
    expectClose(inverted.lower, swapped.lower);
    expectClose(inverted.upper, swapped.upper);
  });

  it("degenerate inputs: zero rates give no lift, zero variance gives p = 1", () => {
    expect(relativeLift({ successes: 0, trials: 100 }, { successes: 3, trials: 100 })).toBeNull();
    expect(twoProportionZTest({ successes: 0, trials: 100 }, { successes: 0, trials: 100 })).toEqual({ z: 0, pValue: 1 });
    expect(twoProportionZTest({ successes: 0, trials: 0 }, { successes: 3, trials: 100 })).toEqual({ z: 0, pValue: 1 });
  });
});
