/**
 * User-level variance of a per-impression rate (CTR, conversion rate) by the delta
 * method, and the design effect it implies.
 *
 * Variants are assigned per user, not per impression, and a user's impressions are not
 * independent: some users click a lot, some never. The binomial variance p(1−p)/N that
 * the z-test and the mSPRT assume then understates the truth, and a test that uses it
 * declares "winners" that are noise. The rate is a ratio of per-user sums,
 * R = ΣX/ΣY (X = a user's clicks, Y = their impressions), and for n users its variance is
 * (Deng, Knoblich & Lu, "Applying the Delta Method in Metric Analytics", KDD 2018):
 *     Var(R) ≈ (1/n) · ( s_XX/μ_Y² − 2·μ_X·s_XY/μ_Y³ + μ_X²·s_YY/μ_Y⁴ )
 * with μ the per-user means and s the sample (co)variances (n − 1).
 *
 * The design effect (Kish) is Var(R) / (R(1−R)/ΣY). Dividing a variant's impressions and
 * clicks by it gives "effective" counts with the same rate and the honest variance, so
 * every test downstream (z-test, intervals, mSPRT) is corrected at once. It is floored at
 * 1: independent impressions are the best case the binomial describes, and a variance
 * estimate below it from a small sample is noise we should not bet on.
 */

/** Per-user sums of one variant for a ratio metric X/Y: n users, Σx, Σy, Σx², Σy², Σxy. */
export interface RatioMoments {
  readonly users: number;
  readonly sumX: number;
  readonly sumY: number;
  readonly sumXX: number;
  readonly sumYY: number;
  readonly sumXY: number;
}

/** Var(ΣX/ΣY) by the delta method; null when it is undefined (fewer than 2 users, or no impressions). */
export function deltaMethodRatioVariance(m: RatioMoments): number | null {
  const n = m.users;
  if (n < 2 || m.sumY <= 0) return null;
  const meanX = m.sumX / n;
  const meanY = m.sumY / n;
  const sXX = (m.sumXX - n * meanX * meanX) / (n - 1);
  const sYY = (m.sumYY - n * meanY * meanY) / (n - 1);
  const sXY = (m.sumXY - n * meanX * meanY) / (n - 1);
  const v = (sXX / meanY ** 2 - (2 * meanX * sXY) / meanY ** 3 + (meanX ** 2 * sYY) / meanY ** 4) / n;
  // Rounding can take an exact zero a hair below it.
  return Math.max(0, v);
}

/** max(1, delta-method variance / binomial variance); 1 when either is undefined or zero. */
export function designEffect(m: RatioMoments): number {
  const delta = deltaMethodRatioVariance(m);
  if (delta === null) return 1;
  const r = m.sumX / m.sumY;
  const binomial = (r * (1 - r)) / m.sumY;
  if (!(binomial > 0)) return 1;
  return Math.max(1, delta / binomial);
}
