/**
 * An experiment's readout: the attributed counts per variant (attribution.ts) run
 * through the shared statistics (`experimentVerdict`): rates with intervals, each
 * treatment against the control, the sample-ratio check and one plain-words sentence.
 *
 * Every readout is a "look" for the sequential test: the always-valid p-values it
 * computes are stored with the experiment and passed back into the next one, so
 * reading the results as often as anyone likes does not inflate false positives. The
 * look runs with the experiment's row locked, so two readouts at once cannot lose each
 * other's state.
 *
 * Guardrails (latency p95, error rate; stats/guardrails.ts) are measured per variant
 * from the served lists and checked against the experiment's thresholds.
 */
import type { Experiment } from "../../models/experiments/experiment.js";
import { checkGuardrails, type GuardrailReadout, type VariantGuardrailMetrics } from "../../models/experiments/stats/guardrails.js";
import { designEffect } from "../../models/experiments/stats/delta-method.js";
import { experimentVerdict, type Metric, type Verdict, type VariantTally, type VerdictOptions } from "../../models/experiments/stats/verdict.js";
import type { Db } from "../db/client.js";
import { attributedCounts, type VariantCounts } from "./attribution.js";
import { getExperiment, saveSequentialState, type ExperimentRow } from "./experiment-store.js";
import { variantGuardrailMetrics } from "./guardrail-metrics.js";

export interface ResultsOptions {
  attributionWindowHours: number;
  verdict?: VerdictOptions;
}

export interface VariantResult extends VariantCounts {
  /** Configured weight (percent). */
  weight: number;
}

export interface ExperimentResults {
  experiment: ExperimentRow;
  /** The configured variants, in config order, zero where nothing was served yet. */
  variants: VariantResult[];
  /** Lists tagged with this experiment but a variant it does not have: an edge bug worth seeing, left out of the statistics. */
  unknownVariants: VariantCounts[];
  verdict: Verdict;
  attributionWindowHours: number;
  guardrails: GuardrailReadout;
}

export async function experimentResults(db: Db, id: string, options: ResultsOptions): Promise<ExperimentResults | null> {
  if (!(await getExperiment(db, id))) return null;
  // Counting may take a while on a big experiment; it runs before the row is locked.
  const counts = await attributedCounts(db, id, options.attributionWindowHours);
  const guardrailMetrics = await variantGuardrailMetrics(db, id);
  return db.transaction(async (tx) => {
    const row = await getExperiment(tx, id, { forUpdate: true });
    if (!row) return null;
    const { variants, unknownVariants } = byConfiguredVariant(row.config, counts);
    const verdict = experimentVerdict({
      variants: variants.map(tallyOf),
      control: row.config.control,
      primaryMetric: row.config.primary_metric,
      previousSequentialP: row.sequentialState,
      ...(options.verdict ? { options: options.verdict } : {}),
    });
    await saveSequentialState(tx, id, verdict.sequentialState);
    return {
      experiment: { ...row, sequentialState: verdict.sequentialState },
      variants,
      unknownVariants,
      verdict,
      attributionWindowHours: options.attributionWindowHours,
      guardrails: checkGuardrails(row.config.guardrails, configuredOnly(row.config, guardrailMetrics)),
    };
  });
}

export function byConfiguredVariant(config: Experiment, counts: readonly VariantCounts[]): { variants: VariantResult[]; unknownVariants: VariantCounts[] } {
  const byKey = new Map(counts.map((c) => [c.variant, c]));
  const variants = config.variants.map((v) => ({
    ...(byKey.get(v.key) ?? { variant: v.key, users: 0, lists: 0, impressions: 0, clicks: 0, addToCarts: 0, conversions: 0, moments: NO_MOMENTS }),
    weight: v.weight,
  }));
  const configured = new Set(config.variants.map((v) => v.key));
  return { variants, unknownVariants: counts.filter((c) => !configured.has(c.variant)) };
}

/** Every configured variant, in config order, with nothing measured where nothing was served. */
function configuredOnly(config: Experiment, metrics: readonly VariantGuardrailMetrics[]): VariantGuardrailMetrics[] {
  const byKey = new Map(metrics.map((m) => [m.variant, m]));
  return config.variants.map((v) => byKey.get(v.key) ?? { variant: v.key, lists: 0, latencyMeasured: 0, latencyP95Ms: null, errorRate: null });
}

const NO_MOMENTS: VariantCounts["moments"] = { impressionsSq: 0, clicksSq: 0, clicksXImpressions: 0, conversionsSq: 0, conversionsXImpressions: 0 };

export function tallyOf(v: VariantResult): VariantTally {
  return {
    variant: v.variant,
    weight: v.weight,
    users: v.users,
    impressions: v.impressions,
    clicks: v.clicks,
    conversions: v.conversions,
    designEffect: designEffects(v),
  };
}

/** How much each rate's variance grows because users, not impressions, are randomised. */
export function designEffects(v: VariantCounts): Record<Metric, number> {
  const m = v.moments;
  const base = { users: v.users, sumY: v.impressions, sumYY: m.impressionsSq };
  return {
    ctr: designEffect({ ...base, sumX: v.clicks, sumXX: m.clicksSq, sumXY: m.clicksXImpressions }),
    conversion_rate: designEffect({ ...base, sumX: v.conversions, sumXX: m.conversionsSq, sumXY: m.conversionsXImpressions }),
  };
}
