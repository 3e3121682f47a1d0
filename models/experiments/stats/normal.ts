/**
 * Standard normal distribution: density, CDF, upper tail and quantile, in plain
 * arithmetic so the same numbers come out in Node and in workerd.
 *
 * CDF: two regimes, both free of magic coefficient tables.
 *  - |x| ≤ 3: Φ(x) = ½ + ½·erf(x/√2) with the all-positive-terms series
 *      erf(z) = (2/√π)·e^{−z²}·Σ_{n≥0} 2ⁿ z^{2n+1} / (1·3·5···(2n+1))
 *    (Abramowitz & Stegun 7.1.6). No alternating signs, so no cancellation; the absolute
 *    error is a few ulps, which is ≤ 1e-12 relative even at Φ(−3) ≈ 1.35e-3.
 *  - |x| > 3: the tail Q(x) = φ(x)·R(x) with Laplace's continued fraction for Mills'
 *    ratio R(x) = 1/(x+ 1/(x+ 2/(x+ 3/(x+ …)))) (A&S 26.2.14), evaluated with the
 *    modified Lentz algorithm (Numerical Recipes §5.2). It converges quickly for x > 3
 *    and keeps full relative precision deep in the tail (Q(30) ≈ 5e-198), where
 *    1 − Φ would be all rounding.
 *
 * Quantile: Acklam's rational approximation (relative error < 1.15e-9), then two Halley
 * steps on the CDF above, which bring it to machine precision. The lower half is solved
 * directly and the upper half by symmetry (1 − p is exact for p ≥ ½), so small tail
 * probabilities keep their relative precision.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const EPS = 1e-16;
const TINY = 1e-300;
const SERIES_LIMIT = 3;

/** φ(x), the standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/** erf(z) by the positive series (A&S 7.1.6); accurate for |z| ≲ 2.2, used for |x| ≤ 3. */
function erfSeries(z: number): number {
  const z2 = z * z;
  let term = z;
  let sum = z;
  for (let n = 1; n < 500; n++) {
    term *= (2 * z2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= EPS * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-z2) * sum;
}

/** Mills' ratio R(x) = Q(x)/φ(x) for x > 0 by Laplace's continued fraction (modified Lentz). */
function millsRatio(x: number): number {
  // R = 1/(x + 1/(x + 2/(x + …))): partial numerators a₁ = 1, aₙ = n − 1; denominators bₙ = x.
  let f = TINY;
  let c = f;
  let d = 0;
  for (let n = 1; n < 10_000; n++) {
    const a = n === 1 ? 1 : n - 1;
    d = x + a * d;
    d = Math.abs(d) < TINY ? 1 / TINY : 1 / d;
    c = x + a / c;
    if (Math.abs(c) < TINY) c = TINY;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) <= EPS) break;
  }
  return f;
}

/** Q(x) = P(Z > x), the upper tail, with full relative precision for large x. */
export function normalSf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x > SERIES_LIMIT) return normalPdf(x) * millsRatio(x);
  if (x < -SERIES_LIMIT) return 1 - normalPdf(x) * millsRatio(-x);
  return 0.5 - 0.5 * erfSeries(x / Math.SQRT2);
}

/** Φ(x) = P(Z ≤ x), with full relative precision in the lower tail. */
export function normalCdf(x: number): number {
  return normalSf(-x);
}

/** Acklam's rational approximation of Φ⁻¹(p) for 0 < p ≤ ½ (relative error < 1.15e-9). */
function acklamLower(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const poly = (k: readonly number[], t: number): number => k.reduce((acc, coef) => acc * t + coef, 0);
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

/** Φ⁻¹(p) for 0 < p ≤ ½: Acklam, then Halley steps on normalCdf (cubic convergence). */
function quantileLower(p: number): number {
  let x = acklamLower(p);
  for (let i = 0; i < 2; i++) {
    const e = normalCdf(x) - p;
    const u = e / normalPdf(x);
    x -= u / (1 + 0.5 * x * u);
  }
  return x;
}

/** Φ⁻¹(p), the standard normal quantile (scipy.stats.norm.ppf); ±∞ at 0 and 1. */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  return p <= 0.5 ? quantileLower(p) : -quantileLower(1 - p);
}

/** The two-sided critical value z_{1−(1−confidence)/2}, e.g. 1.959963984540054 for 0.95. */
export function twoSidedZ(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return normalQuantile(1 - (1 - confidence) / 2);
}
