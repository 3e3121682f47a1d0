/**
 * Guardrail metrics of an experiment's variants and their checks — pure, shared by the
 * results API and the canary's decision.
 *
 * - latency_p95_ms: the 95th percentile of the edge's time to build the variant's lists
 *   (served_lists.latency_ms; linear interpolation, as Postgres' percentile_cont).
 * - error_rate: the share of the variant's lists that degraded in any stage (a model
 *   that failed to load, a ranker error, a store that timed out — `degraded` in the
 *   response). The edge never answers a recommendation request with an error, so a
 *   degraded answer is what an error looks like to the user.
 *
 * A check needs MIN_GUARDRAIL_LISTS measured lists in the variant: a p95 of a handful
 * of requests says nothing, and a guardrail that trips on noise would stop good work.
 */
import type { Guardrail, GuardrailMetric } from "../experiment.js";

export const MIN_GUARDRAIL_LISTS = 100;

export interface VariantGuardrailMetrics {
  variant: string;
  lists: number;
  /** Lists that carried a latency (older edges did not send one). */
  latencyMeasured: number;
  latencyP95Ms: number | null;
  errorRate: number | null;
}

export interface GuardrailCheck {
  metric: GuardrailMetric;
  variant: string;
  threshold: number;
  value: number | null;
  status: "holds" | "breached" | "not_enough_data";
}

export interface GuardrailReadout {
  variants: VariantGuardrailMetrics[];
  checks: GuardrailCheck[];
  breached: boolean;
  sentence: string;
}

export function checkGuardrails(guardrails: readonly Guardrail[], variants: readonly VariantGuardrailMetrics[]): GuardrailReadout {
  const checks: GuardrailCheck[] = [];
  for (const g of guardrails) {
    for (const v of variants) {
      const value = g.metric === "latency_p95_ms" ? v.latencyP95Ms : v.errorRate;
      const sample = g.metric === "latency_p95_ms" ? v.latencyMeasured : v.lists;
      const status = value === null || sample < MIN_GUARDRAIL_LISTS ? "not_enough_data" : value > g.threshold ? "breached" : "holds";
      checks.push({ metric: g.metric, variant: v.variant, threshold: g.threshold, value, status });
    }
  }
  const breached = checks.filter((c) => c.status === "breached");
  return { variants: [...variants], checks, breached: breached.length > 0, sentence: sentenceOf(guardrails, checks, breached) };
}

function sentenceOf(guardrails: readonly Guardrail[], checks: readonly GuardrailCheck[], breached: readonly GuardrailCheck[]): string {
  if (guardrails.length === 0) return "no guardrails configured";
  if (breached.length > 0) return `guardrail breached: ${breached.map(describeCheck).join("; ")}`;
  if (checks.some((c) => c.status === "not_enough_data")) return `guardrails not checked yet: ${MIN_GUARDRAIL_LISTS} lists per variant needed`;
  return "guardrails hold";
}

function describeCheck(c: Pick<GuardrailCheck, "metric" | "variant" | "threshold" | "value">): string {
  return c.metric === "latency_p95_ms"
    ? `${c.variant} latency p95 ${c.value} ms > ${c.threshold} ms`
    : `${c.variant} error rate ${percent(c.value ?? 0)} > ${percent(c.threshold)}`;
}

function percent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
