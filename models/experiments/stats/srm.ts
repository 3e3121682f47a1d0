/**
 * Sample-ratio mismatch (SRM): are the users per variant consistent with the configured
 * traffic weights? Pearson's chi-square goodness-of-fit test,
 *     X² = Σ (O_i − E_i)²/E_i,  E_i = N·w_i/Σw,  df = k − 1,
 * with p = P(χ²_{k−1} > X²).
 *
 * An SRM means the assignment or the logging is broken (bots in one arm, a redirect
 * that loses users, a crash in one variant…), and then every other number in the
 * readout is suspect: Fabijan et al., "Diagnosing Sample Ratio Mismatch in Online
 * Controlled Experiments", KDD 2019; Kohavi, Tang & Xu, "Trustworthy Online Controlled
 * Experiments" (2020), ch. 21.
 *
 * The flag is raised at p < 0.001 (the threshold used by Microsoft's ExP and in the
 * references above), not 0.05: the check runs on every readout of every experiment,
 * and at 0.05 one healthy experiment in twenty would be declared broken. Real SRMs are
 * usually overwhelming (p ≪ 1e-6) once there are a few thousand users.
 *
 * Variants with weight 0 take no part in the test unless they have users, which is a
 * mismatch by definition (p = 0). With no users there is nothing to test (p = 1).
 * The chi-square approximation wants expected counts of about 5 or more; below that the
 * p-value is rough, but the 0.001 threshold leaves a wide margin.
 */
import { chiSquareSf } from "./chi-square.js";

export const SRM_P_THRESHOLD = 0.001;

export interface SrmArm {
  readonly variant: string;
  /** Configured traffic weight (any positive scale: 50/50, 0.5/0.5, 1/1). */
  readonly weight: number;
  /** Users assigned to this variant so far. */
  readonly users: number;
}

export interface SrmCell {
  readonly variant: string;
  readonly observed: number;
  readonly expected: number;
  /** Configured share of traffic, w_i/Σw. */
  readonly expectedShare: number;
}

export interface SrmResult {
  readonly statistic: number;
  readonly degreesOfFreedom: number;
  readonly pValue: number;
  /** pValue < threshold. */
  readonly mismatch: boolean;
  readonly cells: readonly SrmCell[];
}

function checkArms(arms: readonly SrmArm[]): number {
  let totalWeight = 0;
  for (const arm of arms) {
    if (!(arm.weight >= 0) || !Number.isFinite(arm.weight)) throw new RangeError(`weight of ${arm.variant} must be ≥ 0, got ${arm.weight}`);
    if (!(arm.users >= 0) || !Number.isFinite(arm.users)) throw new RangeError(`users of ${arm.variant} must be ≥ 0, got ${arm.users}`);
    totalWeight += arm.weight;
  }
  if (!(totalWeight > 0)) throw new RangeError("at least one variant needs a positive weight");
  return totalWeight;
}

function cellsOf(arms: readonly SrmArm[], totalWeight: number): SrmCell[] {
  const totalUsers = arms.reduce((s, a) => s + a.users, 0);
  return arms.map((a) => ({
    variant: a.variant,
    observed: a.users,
    expected: (totalUsers * a.weight) / totalWeight,
    expectedShare: a.weight / totalWeight,
  }));
}

/** Chi-square goodness of fit of users per variant against the configured weights. */
export function sampleRatioMismatch(arms: readonly SrmArm[], threshold = SRM_P_THRESHOLD): SrmResult {
  const cells = cellsOf(arms, checkArms(arms));
  const tested = cells.filter((c) => c.expectedShare > 0);
  const degreesOfFreedom = Math.max(0, tested.length - 1);
  const strayUsers = cells.some((c) => c.expectedShare === 0 && c.observed > 0);
  if (strayUsers) return { statistic: Infinity, degreesOfFreedom, pValue: 0, mismatch: true, cells };
  const totalUsers = tested.reduce((s, c) => s + c.observed, 0);
  if (totalUsers === 0 || degreesOfFreedom === 0) return { statistic: 0, degreesOfFreedom, pValue: 1, mismatch: false, cells };
  const statistic = tested.reduce((s, c) => s + (c.observed - c.expected) ** 2 / c.expected, 0);
  const pValue = chiSquareSf(statistic, degreesOfFreedom);
  return { statistic, degreesOfFreedom, pValue, mismatch: pValue < threshold, cells };
}
