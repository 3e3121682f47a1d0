/**
 * What to do with a running canary given its experiment's readout — pure, so the rules
 * can be read (and tested) apart from the database and the edge:
 *
 *  1. Sample-ratio mismatch: the readout cannot be trusted either way; wait.
 *  2. The verdict says the control beats the canary on the primary metric (the
 *     always-valid sequential test, at the readout's own minimum sample): roll back —
 *     as soon as the loss is significant, without waiting for `minImpressions`, because
 *     every further impression on a worse model costs.
 *  3. Either arm below `minImpressions`: wait.
 *  4. Otherwise the canary is not worse: promote. "Not worse" is "no significant loss
 *     after the minimum sample", as the issue asks; it is not a non-inferiority test with
 *     a margin, so the minimum sample is what gives the check its power (2,000
 *     impressions per arm at a 10% CTR detect only large losses; raise it for small ones).
 *
 *
 * Guardrails (stats/guardrails.ts), checked right after the sample-ratio check, before
 * the primary metric: a canary that breaks one is rolled back whatever its CTR, as soon
 * as both arms have MIN_GUARDRAIL_LISTS lists. Two are built in, relative to the control
 * (the same traffic on the same edges, so anything beyond noise is the model's doing):
 *   - latency p95 above max(1.25 × control's, control's + 25 ms);
 *   - error rate above control's + 1 percentage point;
 * and any absolute threshold configured on the experiment applies too. A promotion
 * reason says whether the guardrails held or could not be measured (edges that do not
 * report latency).
 */
import { MIN_GUARDRAIL_LISTS, type GuardrailReadout, type VariantGuardrailMetrics } from "../../models/experiments/stats/guardrails.js";
import type { Comparison, Verdict } from "../../models/experiments/stats/verdict.js";
import type { VariantResult } from "../experiments/results.js";

export const CONTROL_VARIANT = "control";
export const CANARY_VARIANT = "canary";

export type CanaryDecision = { action: "roll_back"; reason: string } | { action: "promote"; reason: string } | { action: "wait"; reason: string };

export interface CanaryReadout {
  variants: readonly Pick<VariantResult, "variant" | "impressions">[];
  verdict: Pick<Verdict, "status" | "comparisons" | "sentence">;
  guardrails: Pick<GuardrailReadout, "variants" | "checks">;
}

export const LATENCY_RATIO_LIMIT = 1.25;
export const LATENCY_SLACK_MS = 25;
export const ERROR_RATE_SLACK = 0.01;

export function canaryDecision(readout: CanaryReadout, minImpressions: number): CanaryDecision {
  if (readout.verdict.status === "sample_ratio_mismatch") return { action: "wait", reason: readout.verdict.sentence };
  const guardrails = canaryGuardrails(readout.guardrails);
  if (guardrails.breach) return { action: "roll_back", reason: `canary breaks a guardrail: ${guardrails.breach}` };
  const comparison = canaryComparison(readout.verdict.comparisons);
  if (comparison.status === "loser") return { action: "roll_back", reason: comparison.sentence };
  const short = belowMinimum(readout.variants, minImpressions);
  if (short) return { action: "wait", reason: short };
  return { action: "promote", reason: `${promotionReason(comparison, minImpressions)}; ${guardrails.note}` };
}

/** The first guardrail the canary breaks (configured ones, then the built-in relative ones), or a note on how they stand. */
export function canaryGuardrails(g: CanaryReadout["guardrails"]): { breach: string | null; note: string } {
  const configured = g.checks.find((c) => c.variant === CANARY_VARIANT && c.status === "breached");
  if (configured) {
    const unit = configured.metric === "latency_p95_ms" ? " ms" : "";
    return { breach: `${configured.metric} ${configured.value}${unit} above the experiment's threshold ${configured.threshold}${unit}`, note: "" };
  }
  const control = g.variants.find((v) => v.variant === CONTROL_VARIANT);
  const canary = g.variants.find((v) => v.variant === CANARY_VARIANT);
  if (!control || !canary || control.lists < MIN_GUARDRAIL_LISTS || canary.lists < MIN_GUARDRAIL_LISTS) {
    return { breach: null, note: `guardrails not checked: ${MIN_GUARDRAIL_LISTS} lists per arm needed` };
  }
  const breach = errorBreach(control, canary) ?? latencyBreach(control, canary);
  if (breach) return { breach, note: "" };
  const latencyKnown = control.latencyMeasured >= MIN_GUARDRAIL_LISTS && canary.latencyMeasured >= MIN_GUARDRAIL_LISTS;
  return {
    breach: null,
    note: latencyKnown
      ? `guardrails hold (latency p95 ${canary.latencyP95Ms} ms vs ${control.latencyP95Ms} ms, error rate ${pct(canary.errorRate)} vs ${pct(control.errorRate)})`
      : `error rate holds (${pct(canary.errorRate)} vs ${pct(control.errorRate)}); latency not measured (the edge did not report it)`,
  };
}

function errorBreach(control: VariantGuardrailMetrics, canary: VariantGuardrailMetrics): string | null {
  if (control.errorRate === null || canary.errorRate === null) return null;
  const limit = control.errorRate + ERROR_RATE_SLACK;
  return canary.errorRate > limit ? `error rate ${pct(canary.errorRate)} against control's ${pct(control.errorRate)} (limit ${pct(limit)})` : null;
}

function latencyBreach(control: VariantGuardrailMetrics, canary: VariantGuardrailMetrics): string | null {
  if (control.latencyMeasured < MIN_GUARDRAIL_LISTS || canary.latencyMeasured < MIN_GUARDRAIL_LISTS) return null;
  if (control.latencyP95Ms === null || canary.latencyP95Ms === null) return null;
  const limit = Math.max(control.latencyP95Ms * LATENCY_RATIO_LIMIT, control.latencyP95Ms + LATENCY_SLACK_MS);
  return canary.latencyP95Ms > limit ? `latency p95 ${canary.latencyP95Ms} ms against control's ${control.latencyP95Ms} ms (limit ${limit} ms)` : null;
}

function pct(x: number | null): string {
  return x === null ? "n/a" : `${(x * 100).toFixed(2)}%`;
}

function canaryComparison(comparisons: readonly Comparison[]): Comparison {
  const found = comparisons.find((c) => c.treatment === CANARY_VARIANT && c.control === CONTROL_VARIANT);
  // The canary experiment is built with exactly these two variants (canary.ts).
  if (!found) throw new Error(`the readout has no "${CANARY_VARIANT}" vs "${CONTROL_VARIANT}" comparison`);
  return found;
}

function belowMinimum(variants: CanaryReadout["variants"], minImpressions: number): string | null {
  const impressions = (key: string) => variants.find((v) => v.variant === key)?.impressions ?? 0;
  const [control, canary] = [impressions(CONTROL_VARIANT), impressions(CANARY_VARIANT)];
  if (control >= minImpressions && canary >= minImpressions) return null;
  return `not enough data yet: ${minImpressions} impressions per variant needed to promote (control has ${control}, canary has ${canary})`;
}

function promotionReason(comparison: Comparison, minImpressions: number): string {
  const outcome =
    comparison.status === "winner"
      ? comparison.sentence
      : // The verdict's "not enough data yet" is about declaring a winner; for a canary the difference is what counts.
        `canary is not worse than control after at least ${minImpressions} impressions per variant (${comparison.sentence.replace(/^not enough data yet: /, "")})`;
  return outcome;
}
