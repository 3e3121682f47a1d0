/**
 * Release gates: may a freshly trained candidate replace the champion at the edge?
 *
 * - The first model always passes: any trained model is better than no model, and there
 *   is nothing to compare against yet.
 * - Otherwise every gated metric (default NDCG@10 and Recall@20 of warm users) must
 *   1. stay within `maxRegression` of the champion: candidate ≥ champion × (1 − maxRegression).
 *      The champion's figure is its recipe re-fitted on the candidate's own split when the
 *      trainer provides it (`rescored`), so a candidate trained on more data is not judged
 *      by a number measured on another window; else the champion's stored figure.
 *      A small tolerance rather than "must improve", because retraining on a newer window
 *      moves the numbers by noise alone and a fresh model is worth a hair of NDCG; and
 *   2. strictly beat the popularity baseline scored on the same split: a personalised
 *      model that cannot beat "most popular" is broken, whatever the champion scored.
 *
 * Warm users only: cold users are served by the popularity fallback in every version, so
 * their rows say nothing about the candidate.
 *
 * Pure: the decision is a function of the reports and the configuration, so it is
 * tested with hand-made rows and stored with the version it judged.
 */
import type { GateDecision } from "../db/schema.js";
import type { UserGroup } from "../evaluation/evaluate.js";
import type { MetricsRowLike } from "../training-jobs/types.js";

export type GatedMetricName = "recall" | "ndcg" | "map" | "hitRate";

export interface GatedMetric {
  metric: GatedMetricName;
  k: number;
  group: UserGroup;
}

export interface GateConfig {
  /** Largest accepted relative drop against the champion, in [0, 1). */
  maxRegression: number;
  metrics: readonly GatedMetric[];
  /** The `model` name of the baseline row every candidate must beat. */
  baselineModel: string;
}

export const DEFAULT_GATE_CONFIG: GateConfig = {
  maxRegression: 0.02,
  metrics: [
    { metric: "ndcg", k: 10, group: "warm" },
    { metric: "recall", k: 20, group: "warm" },
  ],
  baselineModel: "popularity",
};

export interface GateInput {
  candidate: { metrics: readonly MetricsRowLike[]; baselineMetrics: readonly MetricsRowLike[] };
  /** `rescored`: the champion's recipe fitted on the candidate's split; else its stored figures. */
  champion: { version: string; metrics: readonly MetricsRowLike[]; rescored?: boolean } | null;
}

interface Check {
  passed: boolean;
  reason: string;
}

/** Rounding in the champion × (1 − r) product must not turn an exact tie into a failure. */
const TOLERANCE = 1e-12;

export function decideGate(input: GateInput, config: GateConfig = DEFAULT_GATE_CONFIG): GateDecision {
  if (input.champion === null) {
    return { passed: true, reasons: ["first model: there is no champion to compare against"] };
  }
  const champion = input.champion;
  const checks = config.metrics.flatMap((m) => checkMetric(m, input.candidate, champion, config));
  const failures = checks.filter((c) => !c.passed);
  // A rejection lists only what failed; an acceptance lists the evidence for it.
  return failures.length > 0 ? { passed: false, reasons: failures.map((c) => c.reason) } : { passed: true, reasons: checks.map((c) => c.reason) };
}

function checkMetric(m: GatedMetric, candidate: GateInput["candidate"], champion: NonNullable<GateInput["champion"]>, config: GateConfig): Check[] {
  const name = metricLabel(m);
  const value = metricValue(candidate.metrics, m);
  if (value === null) return [{ passed: false, reason: `${name} is missing from the candidate's evaluation report` }];
  return [
    checkAgainstChampion(name, value, metricValue(champion.metrics, m), champion.version, config.maxRegression, champion.rescored === true),
    checkAgainstBaseline(name, value, m, candidate.baselineMetrics, config.baselineModel),
  ];
}

function checkAgainstChampion(name: string, value: number, championValue: number | null, version: string, maxRegression: number, rescored: boolean): Check {
  if (championValue === null) {
    return { passed: true, reason: `${name}: the champion ${version} has no value to compare with` };
  }
  const floor = championValue * (1 - maxRegression);
  const champion = `the champion ${version} (${fixed(championValue)}${rescored ? ", its recipe re-scored on this split" : ""})`;
  return value >= floor - TOLERANCE
    ? { passed: true, reason: `${name} ${fixed(value)} is within ${percent(maxRegression)} of ${champion} or better` }
    : {
        passed: false,
        reason: `${name} ${fixed(value)} is more than ${percent(maxRegression)} below ${champion}; at least ${fixed(floor)} is needed`,
      };
}

function checkAgainstBaseline(name: string, value: number, m: GatedMetric, baselines: readonly MetricsRowLike[], baselineModel: string): Check {
  const baseline = metricValue(
    baselines.filter((r) => r.model === baselineModel),
    m,
  );
  if (baseline === null) {
    return { passed: false, reason: `${name}: the report has no ${baselineModel} baseline to beat` };
  }
  return value > baseline
    ? { passed: true, reason: `${name} ${fixed(value)} beats ${baselineModel} ${fixed(baseline)}` }
    : { passed: false, reason: `${name} ${fixed(value)} does not beat ${baselineModel} ${fixed(baseline)}` };
}

/** The row's value, or null when the row is absent or the value is not a number (no users). */
function metricValue(rows: readonly MetricsRowLike[], m: GatedMetric): number | null {
  const row = rows.find((r) => r.group === m.group && r.k === m.k);
  const value: unknown = row?.[m.metric];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

const LABELS: Record<GatedMetricName, string> = { recall: "Recall", ndcg: "NDCG", map: "MAP", hitRate: "HitRate" };

export function metricLabel(m: GatedMetric): string {
  return `${LABELS[m.metric]}@${m.k} (${m.group} users)`;
}

function fixed(x: number): string {
  return x.toFixed(4);
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}
