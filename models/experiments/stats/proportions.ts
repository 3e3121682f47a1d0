/**
 * Rates and their comparisons for binomial counts (clicks or conversions out of
 * impressions). Every function takes raw counts, so the results API and the edge get
 * the same numbers from the same tallies.
 *
 *  - One rate: the Wilson score interval (Wilson 1927; Agresti & Coull 1998; Brown, Cai &
 *    DasGupta 2001, "Interval Estimation for a Binomial Proportion"). Chosen over Wald
 *    because CTRs are small (a few %) and early samples are thin: Wald's p̂ ± z·√(p̂(1−p̂)/n)
 *    collapses to zero width at 0 clicks and dips below 0, while Wilson stays inside
 *    [0, 1] and keeps close to nominal coverage there.
 *  - Two rates, test: the pooled two-proportion z-test, z = (p̂_B − p̂_A)/√(p̂(1−p̂)(1/n_A + 1/n_B))
 *    with p̂ the pooled rate; the variance under H₀: p_A = p_B, which is what the p-value
 *    is about. Two-sided p = 2·Q(|z|).
 *  - Two rates, difference interval: unpooled Wald, (p̂_B − p̂_A) ± z·√(p̂_A(1−p̂_A)/n_A + p̂_B(1−p̂_B)/n_B);
 *    no null to pool under, and with the sample sizes an experiment reads out at it is
 *    the standard choice.
 *  - Relative lift p_B/p_A − 1: the interval is built on the log of the ratio (Katz et al.
 *    1978, the "log method" for risk ratios), whose delta-method variance is
 *    Var ln p̂ ≈ (1 − p)/(n·p), so Var ln(p̂_B/p̂_A) ≈ (1−p̂_A)/(n_A p̂_A) + (1−p̂_B)/(n_B p̂_B);
 *    then exp(ln ratio ± z·se) − 1. The log scale makes the interval asymmetric like the
 *    ratio itself (a lift cannot go below −100%) and it is exactly invertible: swapping
 *    the arms gives 1/(1 + bound) − 1, so "A beats B" reads with consistent numbers.
 *    Undefined (null) when either rate is 0.
 */
import { normalSf, twoSidedZ } from "./normal.js";

/** A count of successes (clicks or conversions) out of trials (impressions). */
export interface BinomialCounts {
  readonly successes: number;
  readonly trials: number;
}

/** A closed interval [lower, upper]. */
export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

/** A rate with its interval. */
export interface RateEstimate extends Interval {
  readonly rate: number;
}

export interface ZTestResult {
  readonly z: number;
  /** Two-sided p-value. */
  readonly pValue: number;
}

export interface DifferenceEstimate extends Interval {
  /** p̂_B − p̂_A. */
  readonly difference: number;
}

export interface LiftEstimate extends Interval {
  /** p̂_B/p̂_A − 1. */
  readonly lift: number;
}

export const DEFAULT_CONFIDENCE = 0.95;

/** Throws unless 0 ≤ successes ≤ trials and both are finite; counts come from tallies. */
export function checkCounts(c: BinomialCounts): void {
  const { successes, trials } = c;
  if (!Number.isFinite(successes) || !Number.isFinite(trials) || successes < 0 || successes > trials) {
    throw new RangeError(`need 0 ≤ successes ≤ trials, got ${successes} of ${trials}`);
  }
}

/** The observed rate successes/trials; 0 when there are no trials. */
export function rate(c: BinomialCounts): number {
  checkCounts(c);
  return c.trials === 0 ? 0 : c.successes / c.trials;
}

/** The rate with its Wilson score interval; [0, 1] when there are no trials. */
export function wilsonInterval(c: BinomialCounts, confidence = DEFAULT_CONFIDENCE): RateEstimate {
  const p = rate(c);
  const n = c.trials;
  if (n === 0) return { rate: 0, lower: 0, upper: 1 };
  const z = twoSidedZ(confidence);
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  return { rate: p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/** Pooled two-proportion z-test of B against A; z = 0, p = 1 when the pooled variance is 0. */
export function twoProportionZTest(a: BinomialCounts, b: BinomialCounts): ZTestResult {
  const diff = rate(b) - rate(a);
  const n = a.trials + b.trials;
  if (a.trials === 0 || b.trials === 0) return { z: 0, pValue: 1 };
  const pooled = (a.successes + b.successes) / n;
  const variance = pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials);
  if (variance <= 0) return { z: 0, pValue: 1 };
  const z = diff / Math.sqrt(variance);
  return { z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))) };
}

/** Unpooled variance of p̂_B − p̂_A: p̂_A(1−p̂_A)/n_A + p̂_B(1−p̂_B)/n_B. */
export function unpooledDifferenceVariance(a: BinomialCounts, b: BinomialCounts): number {
  const term = (c: BinomialCounts): number => {
    const p = rate(c);
    return c.trials === 0 ? 0 : (p * (1 - p)) / c.trials;
  };
  return term(a) + term(b);
}

/** p̂_B − p̂_A with its (unpooled Wald) interval. */
export function differenceInterval(a: BinomialCounts, b: BinomialCounts, confidence = DEFAULT_CONFIDENCE): DifferenceEstimate {
  const difference = rate(b) - rate(a);
  const half = twoSidedZ(confidence) * Math.sqrt(unpooledDifferenceVariance(a, b));
  return { difference, lower: difference - half, upper: difference + half };
}

/** p̂_B/p̂_A − 1 with its log-method (delta) interval; null when either rate is 0. */
export function relativeLift(a: BinomialCounts, b: BinomialCounts, confidence = DEFAULT_CONFIDENCE): LiftEstimate | null {
  const pa = rate(a);
  const pb = rate(b);
  if (pa === 0 || pb === 0) return null;
  const logRatio = Math.log(pb / pa);
  const se = Math.sqrt((1 - pa) / (a.trials * pa) + (1 - pb) / (b.trials * pb));
  const half = twoSidedZ(confidence) * se;
  return { lift: pb / pa - 1, lower: Math.expm1(logRatio - half), upper: Math.expm1(logRatio + half) };
}

/** The same lift seen from the other arm (A over B): each bound becomes 1/(1 + bound) − 1. */
export function invertLift(l: LiftEstimate): LiftEstimate {
  const flip = (x: number): number => 1 / (1 + x) - 1;
  return { lift: flip(l.lift), lower: flip(l.upper), upper: flip(l.lower) };
}
