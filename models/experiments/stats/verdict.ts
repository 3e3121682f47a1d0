/**
 * The experiment readout in plain words: per-variant rates with intervals, each
 * treatment against the control on CTR and conversion rate, and one sentence such as
 *   "B beats A on CTR by +4.1% (95% CI +1.2% to +7.0%), sequential p = 0.01".
 *
 * Decision rules, in order:
 *  1. Sample-ratio mismatch (srm.ts, p < 0.001): nothing else is trustworthy, so the
 *     sentence says so and no comparison names a winner.
 *  2. Minimum sample: each arm of a comparison needs `minImpressionsPerVariant`
 *     impressions (default 100) before anything is said. The mSPRT is valid at any
 *     sample size, but it rests on a normal approximation that is poor with a handful of
 *     clicks, and the running minimum would keep an early fluke forever. Below the
 *     minimum the stored sequential p-values are passed through unchanged.
 *  3. The always-valid (mSPRT) p-value of the primary metric decides (msprt.ts): a
 *     winner when p < α / (number of treatments) — a Bonferroni split, so that an
 *     A/B/C test does not get two shots at α — otherwise "not enough data yet". The
 *     fixed-horizon z-test is reported but never decides, because the readout is looked
 *     at repeatedly.
 * The sentence's interval is the fixed-horizon 95% interval of the relative lift
 * (proportions.ts, log method): the familiar number. The peeking-safe interval on the
 * absolute difference is in `alwaysValidDifference`. When the treatment loses, the
 * sentence turns round ("A beats B by …"), with the lift of A over B and its interval
 * mapped exactly (1/(1 + bound) − 1). When the loser's rate is 0 the ratio is undefined
 * and the sentence gives the difference in percentage points.
 *
 * User-level variance: when a tally carries its design effect (delta-method.ts), every
 * test and interval runs on the effective counts (impressions and outcomes divided by
 * it), because users, not impressions, are what the experiment randomises.
 *
 * Sequential state: pass back `sequentialState` from the previous readout as
 * `previousSequentialP` (per treatment, per metric); p_n = min(p_{n−1}, 1/Λ_n).
 */
import { alwaysValidDifferenceInterval, msprtLook } from "./msprt.js";
import type { BinomialCounts, DifferenceEstimate, Interval, LiftEstimate, RateEstimate, ZTestResult } from "./proportions.js";
import { DEFAULT_CONFIDENCE, differenceInterval, invertLift, relativeLift, twoProportionZTest, wilsonInterval } from "./proportions.js";
import type { SrmResult } from "./srm.js";
import { SRM_P_THRESHOLD, sampleRatioMismatch } from "./srm.js";

/** The same names as PRIMARY_METRICS in ../experiment.ts, so the configured value passes straight in. */
export type Metric = "ctr" | "conversion_rate";
export const METRICS: readonly Metric[] = ["ctr", "conversion_rate"];
const METRIC_LABEL: Readonly<Record<Metric, string>> = { ctr: "CTR", conversion_rate: "conversion rate" };

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_MIN_IMPRESSIONS_PER_VARIANT = 100;

/** Cumulative tallies of one variant. */
export interface VariantTally {
  readonly variant: string;
  /** Configured traffic weight, for the sample-ratio check. */
  readonly weight: number;
  readonly users: number;
  readonly impressions: number;
  readonly clicks: number;
  readonly conversions: number;
  /**
   * Per metric, how much user-level clustering inflates the binomial variance
   * (delta-method.ts; ≥ 1). Impressions and outcomes are divided by it before any test,
   * so intervals and p-values account for users, not impressions, being randomised.
   * Absent: impressions are treated as independent.
   */
  readonly designEffect?: Partial<Readonly<Record<Metric, number>>>;
}

export interface VerdictOptions {
  /** Family-wise false-positive rate of the sequential decision; default 0.05. */
  readonly alpha?: number;
  /** Level of the fixed-horizon intervals; default 0.95. */
  readonly confidence?: number;
  /** Impressions each arm needs before a comparison is read; default 100. */
  readonly minImpressionsPerVariant?: number;
  /** mSPRT mixing variance per metric (absolute difference units²); default msprt's 1e-4. */
  readonly tauSquared?: Partial<Readonly<Record<Metric, number>>>;
  /** SRM p-value threshold; default 0.001. */
  readonly srmThreshold?: number;
}

/** Running always-valid p-values: treatment variant → metric → p. */
export type SequentialState = Readonly<Record<string, Partial<Readonly<Record<Metric, number>>>>>;

export interface VerdictInput {
  readonly variants: readonly VariantTally[];
  readonly control: string;
  readonly primaryMetric: Metric;
  readonly previousSequentialP?: SequentialState;
  readonly options?: VerdictOptions;
}

export interface VariantSummary {
  readonly variant: string;
  readonly users: number;
  readonly impressions: number;
  readonly clicks: number;
  readonly conversions: number;
  /** Clicks per impression, Wilson interval. */
  readonly ctr: RateEstimate;
  /** Conversions per impression, Wilson interval. */
  readonly conversionRate: RateEstimate;
}

export interface MetricComparison {
  readonly metric: Metric;
  /** p̂_B − p̂_A with its fixed-horizon interval. */
  readonly difference: DifferenceEstimate;
  /** The mSPRT confidence sequence for p_B − p_A (valid under peeking). */
  readonly alwaysValidDifference: Interval;
  /** p̂_B/p̂_A − 1 with its interval; null when either rate is 0. */
  readonly lift: LiftEstimate | null;
  /** Pooled two-proportion z-test (fixed horizon; reported, not used to decide). */
  readonly zTest: ZTestResult;
  /** Always-valid p-value, to be stored for the next readout. */
  readonly sequentialP: number;
}

export type ComparisonStatus = "winner" | "loser" | "not_enough_data" | "sample_ratio_mismatch";

export interface Comparison {
  readonly control: string;
  readonly treatment: string;
  readonly metric: Metric;
  /** winner: the treatment beats the control; loser: the control beats the treatment. */
  readonly status: ComparisonStatus;
  readonly winner: string | null;
  /** Why there is no winner yet, when status is not_enough_data. */
  readonly reason: "min_sample" | "not_significant" | null;
  readonly metrics: Readonly<Record<Metric, MetricComparison>>;
  readonly sentence: string;
}

export interface Verdict {
  readonly status: "ok" | "sample_ratio_mismatch";
  readonly srm: SrmResult;
  readonly alphaPerComparison: number;
  readonly variants: readonly VariantSummary[];
  readonly comparisons: readonly Comparison[];
  /** The new running sequential p-values; store and pass back as previousSequentialP. */
  readonly sequentialState: SequentialState;
  readonly sentence: string;
}

interface Settings {
  readonly alpha: number;
  readonly confidence: number;
  readonly minImpressions: number;
  readonly tauSquared: Partial<Readonly<Record<Metric, number>>>;
  readonly srmThreshold: number;
}

function settingsOf(o: VerdictOptions | undefined): Settings {
  const s = {
    alpha: o?.alpha ?? DEFAULT_ALPHA,
    confidence: o?.confidence ?? DEFAULT_CONFIDENCE,
    minImpressions: o?.minImpressionsPerVariant ?? DEFAULT_MIN_IMPRESSIONS_PER_VARIANT,
    tauSquared: o?.tauSquared ?? {},
    srmThreshold: o?.srmThreshold ?? SRM_P_THRESHOLD,
  };
  if (!(s.alpha > 0 && s.alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${s.alpha}`);
  if (!(s.minImpressions >= 0)) throw new RangeError(`minImpressionsPerVariant must be ≥ 0, got ${s.minImpressions}`);
  return s;
}

function countsOf(t: VariantTally, metric: Metric): BinomialCounts {
  const successes = metric === "ctr" ? t.clicks : t.conversions;
  const deff = Math.max(1, t.designEffect?.[metric] ?? 1);
  return { successes: successes / deff, trials: t.impressions / deff };
}

/** A variant's rates with their Wilson intervals (after the design effect), as the verdict reports them. */
export function summarize(t: VariantTally, confidence: number = DEFAULT_CONFIDENCE): VariantSummary {
  return {
    variant: t.variant,
    users: t.users,
    impressions: t.impressions,
    clicks: t.clicks,
    conversions: t.conversions,
    ctr: wilsonInterval(countsOf(t, "ctr"), confidence),
    conversionRate: wilsonInterval(countsOf(t, "conversion_rate"), confidence),
  };
}

function compareMetric(a: VariantTally, b: VariantTally, metric: Metric, previousP: number, read: boolean, s: Settings): MetricComparison {
  const ca = countsOf(a, metric);
  const cb = countsOf(b, metric);
  const tau = s.tauSquared[metric];
  const msprtOptions = tau === undefined ? undefined : { tauSquared: tau };
  return {
    metric,
    difference: differenceInterval(ca, cb, s.confidence),
    alwaysValidDifference: alwaysValidDifferenceInterval(ca, cb, s.alpha, msprtOptions),
    lift: relativeLift(ca, cb, s.confidence),
    zTest: twoProportionZTest(ca, cb),
    sequentialP: read ? msprtLook(previousP, ca, cb, msprtOptions).pValue : previousP,
  };
}

// ---- wording ----

function signed(x: number, digits: number): string {
  const text = Math.abs(x).toFixed(digits);
  const isZero = Number(text) === 0;
  return `${x < 0 && !isZero ? "-" : "+"}${text}`;
}

const pct = (x: number): string => `${signed(100 * x, 1)}%`;

/** 12345 → "12,345"; by hand rather than toLocaleString, so no ICU data is involved at the edge. */
function thousands(x: number): string {
  return String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "p = 0.01", "p = 0.047", "p < 0.001". */
export function formatP(p: number): string {
  return p < 0.001 ? "p < 0.001" : `p = ${Number(p.toPrecision(2))}`;
}

function confidenceLabel(confidence: number): string {
  return `${Number((100 * confidence).toPrecision(3))}% CI`;
}

/** "+4.1% (95% CI +1.2% to +7.0%)", or percentage points when the lift is undefined. */
function effectText(lift: LiftEstimate | null, diff: DifferenceEstimate, confidence: number): string {
  const ci = confidenceLabel(confidence);
  if (lift) return `${pct(lift.lift)} (${ci} ${pct(lift.lower)} to ${pct(lift.upper)})`;
  const pp = (x: number): string => signed(100 * x, 2);
  return `${pp(diff.difference)} percentage points (${ci} ${pp(diff.lower)} to ${pp(diff.upper)})`;
}

function negateDifference(d: DifferenceEstimate): DifferenceEstimate {
  return { difference: -d.difference, lower: -d.upper, upper: -d.lower };
}

function decidedSentence(winner: string, loser: string, m: MetricComparison, treatmentWon: boolean, confidence: number): string {
  const lift = treatmentWon ? m.lift : m.lift && invertLift(m.lift);
  const diff = treatmentWon ? m.difference : negateDifference(m.difference);
  return `${winner} beats ${loser} on ${METRIC_LABEL[m.metric]} by ${effectText(lift, diff, confidence)}, sequential ${formatP(m.sequentialP)}`;
}

function pendingSentence(a: VariantTally, b: VariantTally, m: MetricComparison, confidence: number): string {
  const effect = effectText(m.lift, m.difference, confidence);
  return `not enough data yet: ${b.variant} vs ${a.variant} on ${METRIC_LABEL[m.metric]} ${effect}, sequential ${formatP(m.sequentialP)}`;
}

function minSampleSentence(a: VariantTally, b: VariantTally, min: number): string {
  const needed = `${thousands(min)} impressions per variant needed`;
  return `not enough data yet: ${needed} (${a.variant} has ${thousands(a.impressions)}, ${b.variant} has ${thousands(b.impressions)})`;
}

/** "sample ratio mismatch: results untrustworthy (users A 1,000, B 800; expected 50% / 50%; p < 0.001)". */
export function srmSentence(srm: SrmResult): string {
  const users = srm.cells.map((c) => `${c.variant} ${thousands(c.observed)}`).join(", ");
  const shares = srm.cells.map((c) => `${Number((100 * c.expectedShare).toPrecision(3))}%`).join(" / ");
  return `sample ratio mismatch: results untrustworthy (users ${users}; expected ${shares}; ${formatP(srm.pValue)})`;
}

// ---- decision ----

function compare(a: VariantTally, b: VariantTally, input: VerdictInput, s: Settings, alphaPer: number, srmBad: boolean): Comparison {
  const read = a.impressions >= s.minImpressions && b.impressions >= s.minImpressions;
  const previous = input.previousSequentialP?.[b.variant] ?? {};
  const metricOf = (m: Metric): MetricComparison => compareMetric(a, b, m, previous[m] ?? 1, read, s);
  const metrics = { ctr: metricOf("ctr"), conversion_rate: metricOf("conversion_rate") };
  const primary = metrics[input.primaryMetric];
  const base = { control: a.variant, treatment: b.variant, metric: input.primaryMetric, metrics };
  if (srmBad) return { ...base, status: "sample_ratio_mismatch", winner: null, reason: null, sentence: "sample ratio mismatch: results untrustworthy" };
  if (!read) return { ...base, status: "not_enough_data", winner: null, reason: "min_sample", sentence: minSampleSentence(a, b, s.minImpressions) };
  if (!(primary.sequentialP < alphaPer) || primary.difference.difference === 0) {
    return { ...base, status: "not_enough_data", winner: null, reason: "not_significant", sentence: pendingSentence(a, b, primary, s.confidence) };
  }
  const treatmentWon = primary.difference.difference > 0;
  const [winner, loser] = treatmentWon ? [b, a] : [a, b];
  return {
    ...base,
    status: treatmentWon ? "winner" : "loser",
    winner: winner.variant,
    reason: null,
    sentence: decidedSentence(winner.variant, loser.variant, primary, treatmentWon, s.confidence),
  };
}

function checkVariants(variants: readonly VariantTally[], control: string): VariantTally {
  const names = new Set(variants.map((v) => v.variant));
  if (names.size !== variants.length) throw new RangeError("variant names must be unique");
  if (variants.length < 2) throw new RangeError("an experiment needs at least two variants");
  const found = variants.find((v) => v.variant === control);
  if (!found) throw new RangeError(`control variant ${control} is not among the variants`);
  return found;
}

function stateOf(comparisons: readonly Comparison[]): SequentialState {
  const entries = comparisons.map((c) => [c.treatment, { ctr: c.metrics.ctr.sequentialP, conversion_rate: c.metrics.conversion_rate.sequentialP }] as const);
  return Object.fromEntries(entries);
}

/** The full readout of an experiment from cumulative per-variant tallies. */
export function experimentVerdict(input: VerdictInput): Verdict {
  const s = settingsOf(input.options);
  const control = checkVariants(input.variants, input.control);
  const srm = sampleRatioMismatch(input.variants, s.srmThreshold);
  const treatments = input.variants.filter((v) => v.variant !== input.control);
  const alphaPerComparison = s.alpha / treatments.length;
  const comparisons = treatments.map((t) => compare(control, t, input, s, alphaPerComparison, srm.mismatch));
  const sentence = srm.mismatch ? srmSentence(srm) : comparisons.map((c) => c.sentence).join("; ");
  return {
    status: srm.mismatch ? "sample_ratio_mismatch" : "ok",
    srm,
    alphaPerComparison,
    variants: input.variants.map((v) => summarize(v, s.confidence)),
    comparisons,
    sequentialState: stateOf(comparisons),
    sentence,
  };
}
