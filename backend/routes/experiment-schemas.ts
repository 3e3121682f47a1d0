/** Request and response schemas of the experiments API (documented in /openapi.json). */
import { z } from "@hono/zod-openapi";
import { EXPERIMENT_STATUSES, ExperimentIdSchema, GUARDRAIL_METRICS, ExperimentSchema, PRIMARY_METRICS } from "../../models/experiments/experiment.js";
import type { MetricComparison, Verdict } from "../../models/experiments/stats/verdict.js";
import type { ExperimentEventRow, ExperimentRow } from "../db/schema.js";
import type { Placement } from "../experiments/experiment-lifecycle.js";
import { designEffects, type ExperimentResults } from "../experiments/results.js";
import { limitParam } from "../http/query-params.js";
import { wholeNumberParam } from "../../models/whole-number-param.js";

// The shared model's field schemas, so the API accepts exactly what the edge can run.
// (No .openapi() on them: see catalog-schemas.ts; the objects below carry the docs.)
const F = ExperimentSchema.shape;

export const ExperimentCreateSchema = z
  .strictObject({
    name: F.name,
    hypothesis: F.hypothesis,
    traffic_share: F.traffic_share,
    traffic_offset: F.traffic_offset,
    targeting: F.targeting,
    variants: F.variants,
    primary_metric: F.primary_metric,
    guardrails: F.guardrails,
    control: F.control,
  })
  .openapi("ExperimentCreate", {
    description:
      "A new experiment, saved as a draft. The id (a slug of the name plus a random suffix) and the salt are generated. " +
      "Variant weights are whole percent summing to 100; `control` names one variant; a variant's `changes.model_version` must be a published model version.",
    example: {
      name: "Ranker v2 on home",
      hypothesis: "The new ranker raises CTR on the home page",
      traffic_share: 0.2,
      targeting: { contexts: ["home"] },
      variants: [
        { key: "A", weight: 50, changes: {} },
        { key: "B", weight: 50, changes: { model_version: "2026-01-31T00-00-00Z-abc123" } },
      ],
      primary_metric: "ctr",
      guardrails: [{ metric: "latency_p95_ms", threshold: 150 }],
      control: "A",
    },
  });

/**
 * Every field optional; given fields replace the stored ones (lists and objects whole).
 * Defaults are removed so an absent field means "keep", not "reset to the default".
 */
export const ExperimentUpdateSchema = z
  .strictObject({
    name: F.name.optional(),
    hypothesis: F.hypothesis,
    traffic_share: F.traffic_share.optional(),
    traffic_offset: F.traffic_offset.removeDefault().optional(),
    targeting: F.targeting.removeDefault().optional(),
    variants: F.variants.optional(),
    primary_metric: F.primary_metric.optional(),
    guardrails: F.guardrails.removeDefault().optional(),
    control: F.control.optional(),
  })
  .openapi("ExperimentUpdate", {
    description:
      "Fields to replace. Any field while the experiment is a draft; while it runs only `traffic_share` and the variants' " +
      "weights (same keys, same order, same changes): assignments are sticky, so units already in keep their variant.",
  });

// A shared model schema gets no .openapi() call (see catalog-schemas.ts); the key names the param.
export const ExperimentParamsSchema = z.object({ id: ExperimentIdSchema });

export const ExperimentListQuerySchema = z.object({
  status: z
    .enum(EXPERIMENT_STATUSES, { message: `must be one of ${EXPERIMENT_STATUSES.join(", ")}` })
    .optional()
    .openapi({ description: "Only experiments with this status" }),
  limit: limitParam(200, 100),
});

const isoTime = () => z.string().openapi({ format: "date-time" });

export const ExperimentJsonSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    hypothesis: z.string().nullable(),
    status: z.enum(EXPERIMENT_STATUSES),
    config: ExperimentSchema,
    created_at: isoTime(),
    started_at: isoTime().nullable(),
    stopped_at: isoTime().nullable(),
  })
  .openapi("Experiment", { description: "`config` is the experiment exactly as it is published to the edge" });

export const ExperimentListSchema = z.object({ experiments: z.array(ExperimentJsonSchema) }).openapi("ExperimentList");

const ExperimentEventSchema = z
  .object({
    action: z.enum(["created", "updated", "started", "stopped", "published", "canary_promoted", "canary_rolled_back"]),
    actor: z.string(),
    detail: z.record(z.string(), z.unknown()),
    at: isoTime(),
  })
  .openapi("ExperimentEvent");

export const ExperimentDetailSchema = ExperimentJsonSchema.extend({ events: z.array(ExperimentEventSchema) }).openapi("ExperimentDetail");

export const ExperimentStartedSchema = ExperimentJsonSchema.extend({
  placement: z
    .object({ requested: z.number(), placed: z.number(), overlapped: z.array(z.string()) })
    .nullable()
    .openapi({ description: "Set when the requested traffic slice overlapped running experiments and was moved to a free one" }),
}).openapi("ExperimentStarted");

/** A problem list accompanies every 400 and 409 of these routes that has more than one thing to say. */
export const ExperimentErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
      problems: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi("ExperimentError");

// ---- results ----

const num = z.number().nullable();
const RateSchema = z.object({ rate: z.number(), lower: z.number(), upper: z.number() });
const MetricComparisonSchema = z.object({
  difference: z.object({ difference: z.number(), lower: z.number(), upper: z.number() }),
  always_valid_difference: z
    .object({ lower: num, upper: num })
    .openapi({ description: "Confidence sequence (valid under peeking); null bounds: unbounded so far" }),
  lift: z.object({ lift: z.number(), lower: z.number(), upper: z.number() }).nullable(),
  z_test: z.object({ z: z.number(), p_value: z.number() }),
  sequential_p: z.number(),
});

const CountsSchema = z.object({
  variant: z.string(),
  users: z.number().int(),
  lists: z.number().int().openapi({ description: "Served lists" }),
  impressions: z.number().int(),
  clicks: z.number().int(),
  add_to_carts: z.number().int(),
  conversions: z.number().int(),
  design_effect: z.object({ ctr: z.number(), conversion_rate: z.number() }).openapi({
    description:
      "How much the rate's variance exceeds the binomial one because users (not impressions) are randomised (delta method, ≥ 1); the tests use impressions and outcomes divided by it",
  }),
});

export const ExperimentResultsSchema = z
  .object({
    experiment_id: z.string(),
    name: z.string(),
    status: z.enum(EXPERIMENT_STATUSES),
    primary_metric: z.enum(PRIMARY_METRICS),
    control: z.string(),
    attribution_window_hours: z.number(),
    variants: z.array(CountsSchema.extend({ weight: z.number(), ctr: RateSchema, conversion_rate: RateSchema })),
    unknown_variants: z.array(CountsSchema).openapi({ description: "Lists tagged with variants the experiment does not have (left out of the statistics)" }),
    comparisons: z.array(
      z.object({
        control: z.string(),
        treatment: z.string(),
        metric: z.enum(PRIMARY_METRICS),
        status: z.enum(["winner", "loser", "not_enough_data", "sample_ratio_mismatch"]),
        winner: z.string().nullable(),
        reason: z.enum(["min_sample", "not_significant"]).nullable(),
        metrics: z.object({ ctr: MetricComparisonSchema, conversion_rate: MetricComparisonSchema }),
        sentence: z.string(),
      }),
    ),
    alpha_per_comparison: z.number(),
    srm: z.object({
      statistic: num,
      degrees_of_freedom: z.number().int(),
      p_value: z.number(),
      mismatch: z.boolean(),
      cells: z.array(z.object({ variant: z.string(), observed: z.number(), expected: z.number(), expected_share: z.number() })),
    }),
    guardrails: z.object({
      variants: z.array(
        z.object({
          variant: z.string(),
          lists: z.number().int(),
          latency_measured: z.number().int().openapi({ description: "Lists that carried the edge's latency" }),
          latency_p95_ms: z.number().nullable(),
          error_rate: z.number().nullable().openapi({ description: "Share of lists that degraded in any stage" }),
        }),
      ),
      checks: z.array(
        z.object({
          metric: z.enum(GUARDRAIL_METRICS),
          variant: z.string(),
          threshold: z.number(),
          value: z.number().nullable(),
          status: z.enum(["holds", "breached", "not_enough_data"]),
        }),
      ),
      breached: z.boolean(),
    }),
    guardrails_note: z.string().openapi({ example: "guardrail breached: b latency p95 212 ms > 150 ms" }),
    verdict: z.string().openapi({ example: "B beats A on CTR by +4.1% (95% CI +1.2% to +7.0%), sequential p = 0.01" }),
    computed_at: isoTime(),
  })
  .openapi("ExperimentResults");

// ---- timeline ----

export const TimelineQuerySchema = z.object({
  points: wholeNumberParam(2, 48, "must be a whole number between 2 and 48")
    .default(12)
    .openapi({ description: "Evenly spaced instants from the start to now (or the stop)" }),
});

export const ExperimentTimelineSchema = z
  .object({
    experiment_id: z.string(),
    points: z.array(
      z.object({
        at: isoTime(),
        variants: z.array(
          z.object({
            variant: z.string(),
            lists: z.number().int(),
            impressions: z.number().int(),
            clicks: z.number().int(),
            conversions: z.number().int(),
            ctr: RateSchema,
            conversion_rate: RateSchema,
          }),
        ),
      }),
    ),
  })
  .openapi("ExperimentTimeline", {
    description:
      "Cumulative rates: each point covers the lists served before `at`, with what they have earned so far, and 95 % Wilson " +
      "intervals (design effect included) as in the results. The last point equals the results' rates. Empty before the start.",
  });

// ---- row → JSON ----

export function toExperimentJson(row: ExperimentRow): z.infer<typeof ExperimentJsonSchema> {
  return {
    id: row.id,
    name: row.name,
    hypothesis: row.hypothesis,
    status: row.status,
    config: row.config,
    created_at: row.createdAt.toISOString(),
    started_at: row.startedAt?.toISOString() ?? null,
    stopped_at: row.stoppedAt?.toISOString() ?? null,
  };
}

export function toExperimentEventJson(row: ExperimentEventRow): z.infer<typeof ExperimentEventSchema> {
  return { action: row.action, actor: row.actor, detail: row.detail, at: row.at.toISOString() };
}

export function toPlacementJson(p: Placement | null): z.infer<typeof ExperimentStartedSchema>["placement"] {
  return p === null ? null : { requested: p.requested, placed: p.placed, overlapped: p.overlapped };
}

/** JSON has no infinities: an unbounded interval end (or an infinite statistic) becomes null. */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function metricJson(m: MetricComparison): z.infer<typeof MetricComparisonSchema> {
  return {
    difference: m.difference,
    always_valid_difference: { lower: finite(m.alwaysValidDifference.lower), upper: finite(m.alwaysValidDifference.upper) },
    lift: m.lift,
    z_test: { z: m.zTest.z, p_value: m.zTest.pValue },
    sequential_p: m.sequentialP,
  };
}

function countsJson(c: ExperimentResults["unknownVariants"][number]): z.infer<typeof CountsSchema> {
  return {
    variant: c.variant,
    users: c.users,
    lists: c.lists,
    impressions: c.impressions,
    clicks: c.clicks,
    add_to_carts: c.addToCarts,
    conversions: c.conversions,
    design_effect: roundedEffects(designEffects(c)),
  };
}

function roundedEffects(d: Record<"ctr" | "conversion_rate", number>) {
  return { ctr: Math.round(d.ctr * 1000) / 1000, conversion_rate: Math.round(d.conversion_rate * 1000) / 1000 };
}

export function toResultsJson(r: ExperimentResults, now: Date = new Date()): z.infer<typeof ExperimentResultsSchema> {
  const v: Verdict = r.verdict;
  const summaries = new Map(v.variants.map((s) => [s.variant, s]));
  return {
    experiment_id: r.experiment.id,
    name: r.experiment.name,
    status: r.experiment.status,
    primary_metric: r.experiment.config.primary_metric,
    control: r.experiment.config.control,
    attribution_window_hours: r.attributionWindowHours,
    variants: r.variants.map((c) => {
      const s = summaries.get(c.variant)!;
      return { ...countsJson(c), weight: c.weight, ctr: s.ctr, conversion_rate: s.conversionRate };
    }),
    unknown_variants: r.unknownVariants.map(countsJson),
    comparisons: v.comparisons.map((c) => ({
      control: c.control,
      treatment: c.treatment,
      metric: c.metric,
      status: c.status,
      winner: c.winner,
      reason: c.reason,
      metrics: { ctr: metricJson(c.metrics.ctr), conversion_rate: metricJson(c.metrics.conversion_rate) },
      sentence: c.sentence,
    })),
    alpha_per_comparison: v.alphaPerComparison,
    srm: {
      statistic: finite(v.srm.statistic),
      degrees_of_freedom: v.srm.degreesOfFreedom,
      p_value: v.srm.pValue,
      mismatch: v.srm.mismatch,
      cells: v.srm.cells.map((c) => ({ variant: c.variant, observed: c.observed, expected: c.expected, expected_share: c.expectedShare })),
    },
    guardrails: {
      variants: r.guardrails.variants.map((g) => ({
        variant: g.variant,
        lists: g.lists,
        latency_measured: g.latencyMeasured,
        latency_p95_ms: g.latencyP95Ms,
        error_rate: g.errorRate,
      })),
      checks: r.guardrails.checks,
      breached: r.guardrails.breached,
    },
    guardrails_note: r.guardrails.sentence,
    verdict: v.sentence,
    computed_at: now.toISOString(),
  };
}
