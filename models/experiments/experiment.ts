/**
 * A/B experiments as published to the edge: the one definition shared by the backend
 * (which validates and publishes them) and the edge (which reads the published set from
 * KV and assigns users, see ./assignment.ts).
 *
 * Two layers of checks, on purpose:
 * - `ExperimentSchema` holds everything that can be judged from one config alone (shapes,
 *   ranges, weights summing to 100, at least two variants, unique keys, the control being
 *   a variant). Whatever parses is safe to bucket with, so the edge can trust a parsed set.
 * - `validateExperiment` adds what needs the outside world: the model versions the
 *   registry knows and the experiments already running (overlap, salt reuse).
 *
 * Traffic and overlap. Every unit (user or anonymous session) has one *traffic bucket* in
 * [0, 10,000), the same for all experiments (see `trafficBucketOf`). An experiment takes
 * the slice [traffic_offset, traffic_offset + traffic_share) of that space. Two running
 * experiments OVERLAP when
 *   (1) their targeting can match the same request — on every dimension (contexts,
 *       countries, devices) their lists share a value, an absent list meaning "any", and
 *       their audiences intersect ("all" meets both "new" and "returning"); and
 *   (2) their traffic slices intersect (in whole buckets; a share of 0 intersects nothing).
 * Refusing overlaps makes every request eligible for at most one experiment, so a user is
 * never in two experiments that both change the same list, and which one they are in does
 * not depend on the order of the published set. Shares summing above 1 always overlap
 * (there is no room for two disjoint slices); shares summing to at most 1 still overlap
 * when the offsets put the slices on top of each other — `allocateTrafficOffset` finds a
 * free offset.
 */
import { z } from "zod";
import type { CandidateSource } from "../candidates.js";
import { ModelVersionSchema } from "../model-manifest.js";

/** KV key (namespace CONFIG) of the published `ExperimentSet`. */
export const EXPERIMENTS_KV_KEY = "experiments:active";

/** Buckets of the traffic and variant spaces: 0.01 % resolution for traffic shares. */
export const BUCKETS = 10_000;

export const EXPERIMENT_STATUSES = ["draft", "running", "stopped"] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export const PRIMARY_METRICS = ["ctr", "conversion_rate"] as const;
export const GUARDRAIL_METRICS = ["latency_p95_ms", "error_rate"] as const;
export type GuardrailMetric = (typeof GUARDRAIL_METRICS)[number];
export const DEVICE_TYPES = ["desktop", "mobile", "tablet"] as const;
export const AUDIENCES = ["new", "returning", "all"] as const;

/** Kept in step with `ScoreWeights` in worker/config.ts (models/ must not import worker/). */
export const SCORE_WEIGHT_KEYS = ["co_view", "co_purchase", "trending", "popular"] as const;

export const CANDIDATE_SOURCES = ["cf", "similar", "co_view", "co_purchase", "trending", "popular"] as const satisfies readonly CandidateSource[];
/** Compile-time check that CANDIDATE_SOURCES names every CandidateSource. */
const everySourceListed: [Exclude<CandidateSource, (typeof CANDIDATE_SOURCES)[number]>] extends [never] ? true : false = true;
void everySourceListed;

/** The edge's largest list (MAX_LIMIT in worker/http/schemas.ts). */
export const MAX_VARIANT_LIMIT = 100;

/**
 * Experiment ids, variant keys and salts: no ':' so that `X-Experiment: <id>:<variant>`
 * and the hash input `<salt>:<unit>` split unambiguously, and no '#', which is reserved for
 * the salts derived internally (see TRAFFIC_SALT in ./assignment.ts).
 */
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const KEY_MESSAGE = "must be 1–64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit";
export const ExperimentIdSchema = z.string().regex(KEY_PATTERN, KEY_MESSAGE);
export const VariantKeySchema = z.string().regex(KEY_PATTERN, KEY_MESSAGE);
export const SaltSchema = z.string().regex(KEY_PATTERN, KEY_MESSAGE);

/** Context values as clients send them in `?context=` (home, pdp, cart, email, …), lower case. */
const ContextValueSchema = z.string().regex(/^[a-z0-9._-]{1,64}$/, "must be 1–64 lower-case letters, digits, '.', '_' or '-'");
/** ISO 3166-1 alpha-2 as Cloudflare reports it (`request.cf.country`, upper case; includes XX and T1). */
const CountrySchema = z.string().regex(/^[A-Z0-9]{2}$/, "must be a two-letter upper-case country code (ISO 3166-1 alpha-2)");

function uniqueList<T extends z.ZodType<string>>(item: T, max: number) {
  return z
    .array(item)
    .min(1, "must not be empty (leave it out to match every value)")
    .max(max, `must hold at most ${max} values`)
    .refine((xs) => new Set(xs).size === xs.length, "must not repeat a value");
}

export const TargetingSchema = z.strictObject({
  contexts: uniqueList(ContextValueSchema, 32).optional(),
  countries: uniqueList(CountrySchema, 250).optional(),
  devices: uniqueList(z.enum(DEVICE_TYPES, { message: `must be one of ${DEVICE_TYPES.join(", ")}` }), DEVICE_TYPES.length).optional(),
  audience: z.enum(AUDIENCES, { message: `must be one of ${AUDIENCES.join(", ")}` }).optional(),
});
export type Targeting = z.infer<typeof TargetingSchema>;

const nonNegativeWeight = z.number().finite().min(0, "must not be negative").max(1000, "must be at most 1000");

/** What a variant changes for the lists it serves; absent fields keep the edge's defaults. */
export const VariantChangesSchema = z.strictObject({
  model_version: ModelVersionSchema.optional(),
  score_weights: z
    .strictObject({
      co_view: nonNegativeWeight.optional(),
      co_purchase: nonNegativeWeight.optional(),
      trending: nonNegativeWeight.optional(),
      popular: nonNegativeWeight.optional(),
    })
    .optional(),
  candidate_sources: uniqueList(z.enum(CANDIDATE_SOURCES, { message: `must be one of ${CANDIDATE_SOURCES.join(", ")}` }), CANDIDATE_SOURCES.length).optional(),
  max_category_share: z.number().min(0.05, "must be at least 0.05").max(1, "must be at most 1").optional(),
  limit: z.number().int("must be a whole number").min(1, "must be at least 1").max(MAX_VARIANT_LIMIT, `must be at most ${MAX_VARIANT_LIMIT}`).optional(),
});
export type VariantChanges = z.infer<typeof VariantChangesSchema>;

export const VariantSchema = z.strictObject({
  key: VariantKeySchema,
  /** Whole percent; the variants' weights sum to 100 (each percent is 100 variant buckets). */
  weight: z.number().int("must be a whole percent").min(0, "must not be negative").max(100, "must be at most 100"),
  changes: VariantChangesSchema.default({}),
});
export type Variant = z.infer<typeof VariantSchema>;

export const GuardrailSchema = z.strictObject({
  metric: z.enum(GUARDRAIL_METRICS, { message: `must be one of ${GUARDRAIL_METRICS.join(", ")}` }),
  /** The most a variant may show: milliseconds for latency_p95_ms, a fraction (0..1) for error_rate. */
  threshold: z.number().finite().nonnegative("must not be negative"),
});
export type Guardrail = z.infer<typeof GuardrailSchema>;

/** Zod's shape checks run first; these need the whole (shape-valid) config. */
function intrinsicChecks(e: {
  traffic_share: number;
  traffic_offset: number;
  variants: Variant[];
  control: string;
  guardrails: Guardrail[];
}): ExperimentProblem[] {
  const problems: ExperimentProblem[] = [];
  if (e.variants.length < 2) problems.push({ field: "variants", message: "must hold at least two variants (a control and a treatment)" });
  const total = e.variants.reduce((s, v) => s + v.weight, 0);
  if (total !== 100) problems.push({ field: "variants", message: `weights must sum to 100, not ${total}` });
  const seen = new Set<string>();
  e.variants.forEach((v, i) => {
    if (seen.has(v.key)) problems.push({ field: `variants.${i}.key`, message: `repeats the variant key "${v.key}"` });
    seen.add(v.key);
  });
  if (!seen.has(e.control)) {
    problems.push({ field: "control", message: `must be one of the variant keys (${[...seen].join(", ")}), not "${e.control}"` });
  }
  // Only when both are in range on their own: an out-of-range share is already reported.
  const inRange = (x: number) => x >= 0 && x <= 1;
  if (inRange(e.traffic_share) && inRange(e.traffic_offset) && trafficEnd(e) > BUCKETS) {
    problems.push({ field: "traffic_offset", message: `traffic_offset + traffic_share must be at most 1, not ${e.traffic_offset + e.traffic_share}` });
  }
  const metrics = new Set<string>();
  e.guardrails.forEach((g, i) => {
    if (metrics.has(g.metric)) problems.push({ field: `guardrails.${i}.metric`, message: `repeats the guardrail "${g.metric}"` });
    metrics.add(g.metric);
    if (g.metric === "error_rate" && g.threshold > 1) {
      problems.push({ field: `guardrails.${i}.threshold`, message: "an error rate is a fraction: must be at most 1" });
    }
  });
  return problems;
}

export const ExperimentSchema = z
  .strictObject({
    id: ExperimentIdSchema,
    name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
    hypothesis: z.string().max(2000, "must be at most 2000 characters").optional(),
    /** Seeds the variant buckets; a new salt reshuffles new users, so it is fixed per experiment. */
    salt: SaltSchema,
    status: z.enum(EXPERIMENT_STATUSES, { message: `must be one of ${EXPERIMENT_STATUSES.join(", ")}` }),
    traffic_share: z.number().min(0, "must be at least 0").max(1, "must be at most 1"),
    /** Start of the experiment's slice of the shared traffic space; see the overlap note above. */
    traffic_offset: z.number().min(0, "must be at least 0").max(1, "must be at most 1").default(0),
    targeting: TargetingSchema.default({}),
    variants: z.array(VariantSchema).max(20, "must hold at most 20 variants"),
    primary_metric: z.enum(PRIMARY_METRICS, { message: `must be one of ${PRIMARY_METRICS.join(", ")}` }),
    guardrails: z.array(GuardrailSchema).max(GUARDRAIL_METRICS.length).default([]),
    /** The variant the others are compared with. */
    control: VariantKeySchema,
  })
  .superRefine((e, ctx) => {
    for (const p of intrinsicChecks(e)) ctx.addIssue({ code: "custom", path: p.field.split(".").map(pathSegment), message: p.message });
  });
export type Experiment = z.infer<typeof ExperimentSchema>;
export type ExperimentInput = z.input<typeof ExperimentSchema>;

/** The document the backend writes to KV under EXPERIMENTS_KV_KEY and the edge reads. */
export const ExperimentSetSchema = z
  .strictObject({
    experiments: z.array(ExperimentSchema).max(200, "must hold at most 200 experiments"),
    published_at: z.iso.datetime({ offset: true, message: "must be ISO-8601 with a time zone" }),
  })
  .superRefine((set, ctx) => {
    const ids = new Set<string>();
    set.experiments.forEach((e, i) => {
      if (ids.has(e.id)) ctx.addIssue({ code: "custom", path: ["experiments", i, "id"], message: `repeats the experiment id "${e.id}"` });
      ids.add(e.id);
    });
  });
export type ExperimentSet = z.infer<typeof ExperimentSetSchema>;

export interface ExperimentProblem {
  /** Dotted path of the offending field, as in the API's error `field` (e.g. `variants.1.weight`). */
  field: string;
  message: string;
}

export interface KnownState {
  /** Model versions the registry can serve (published to the edge). */
  modelVersions: ReadonlySet<string>;
  /** Experiments running now; one with the same id as the config is its older self and is ignored. */
  running: readonly Experiment[];
}

/**
 * Every problem with a config, each naming its field; empty when it may be saved as is.
 * Overlap and salt reuse are judged only for a config whose status is "running" (starting
 * an experiment is validating it with that status): drafts may overlap anything.
 */
export function validateExperiment(config: unknown, known: KnownState): ExperimentProblem[] {
  const parsed = ExperimentSchema.safeParse(config);
  if (!parsed.success) {
    return parsed.error.issues.map((i) => {
      // A stray key is reported at its own path, so the caller sees which one.
      const path = i.code === "unrecognized_keys" ? [...i.path, i.keys[0] ?? ""] : i.path;
      return { field: path.map(String).join("."), message: i.message };
    });
  }
  const e = parsed.data;
  const problems: ExperimentProblem[] = [];
  e.variants.forEach((v, i) => {
    const version = v.changes.model_version;
    if (version !== undefined && !known.modelVersions.has(version)) {
      problems.push({ field: `variants.${i}.changes.model_version`, message: `unknown model version "${version}"` });
    }
  });
  if (e.status !== "running") return problems;

  const others = known.running.filter((r) => r.id !== e.id && r.status === "running");
  for (const r of others) {
    if (r.salt === e.salt) {
      // Equal salts give equal variant buckets: the two experiments' arms would hold the same users.
      problems.push({ field: "salt", message: `is already used by running experiment "${r.id}"; variant buckets would be correlated` });
    }
  }
  const clashes = others.filter((r) => overlaps(e, r));
  for (const r of clashes) {
    if (e.traffic_share + r.traffic_share > 1) {
      problems.push({
        field: "traffic_share",
        message: `overlaps running experiment "${r.id}": their targeting can match the same request and their traffic shares sum to ${round4(e.traffic_share + r.traffic_share)} (more than 1)`,
      });
    } else {
      const free = allocateTrafficOffset(e, others);
      problems.push({
        field: "traffic_offset",
        message:
          `overlaps running experiment "${r.id}": their targeting can match the same request and their traffic slices ` +
          `[${round4(e.traffic_offset)}, ${round4(e.traffic_offset + e.traffic_share)}) and [${round4(r.traffic_offset)}, ${round4(r.traffic_offset + r.traffic_share)}) intersect` +
          (free === null ? "; no free slice of that size is left" : `; traffic_offset ${free} is free`),
      });
    }
  }
  return problems;
}

/** Whether two experiments overlap as defined at the top of this file (status aside). */
export function overlaps(
  a: Pick<Experiment, "targeting" | "traffic_share" | "traffic_offset">,
  b: Pick<Experiment, "targeting" | "traffic_share" | "traffic_offset">,
): boolean {
  return targetingIntersects(a.targeting, b.targeting) && trafficIntersects(a, b);
}

/** True when some request can match both targetings. */
export function targetingIntersects(a: Targeting, b: Targeting): boolean {
  return (
    listsIntersect(a.contexts, b.contexts) &&
    listsIntersect(a.countries, b.countries) &&
    listsIntersect(a.devices, b.devices) &&
    audiencesIntersect(a.audience ?? "all", b.audience ?? "all")
  );
}

/**
 * The lowest traffic_offset (a multiple of 0.0001) at which an experiment with this
 * targeting and share overlaps none of `running`; null when no such slice is left.
 */
export function allocateTrafficOffset(
  candidate: Pick<Experiment, "targeting" | "traffic_share"> & { id?: string },
  running: readonly Experiment[],
): number | null {
  const size = toBuckets(candidate.traffic_share);
  const taken = running
    .filter((r) => r.id !== candidate.id && r.status === "running" && targetingIntersects(candidate.targeting, r.targeting))
    .map((r) => [trafficStart(r), trafficEnd(r)] as const)
    .filter(([s, e]) => e > s)
    .sort((x, y) => x[0] - y[0]);
  let at = 0;
  for (const [s, e] of taken) {
    if (s - at >= size) break;
    at = Math.max(at, e);
  }
  return at + size <= BUCKETS ? at / BUCKETS : null;
}

/** First bucket of the experiment's traffic slice. */
export function trafficStart(e: Pick<Experiment, "traffic_offset">): number {
  return toBuckets(e.traffic_offset);
}

/** One past the last bucket of the experiment's traffic slice. */
export function trafficEnd(e: Pick<Experiment, "traffic_offset" | "traffic_share">): number {
  return toBuckets(e.traffic_offset) + toBuckets(e.traffic_share);
}

/** Shares are decimal fractions (0.07); rounding keeps 0.07 × 10,000 = 700.0000000000001 at 700. */
export function toBuckets(fraction: number): number {
  return Math.round(fraction * BUCKETS);
}

function trafficIntersects(a: Pick<Experiment, "traffic_share" | "traffic_offset">, b: Pick<Experiment, "traffic_share" | "traffic_offset">): boolean {
  const [as, ae, bs, be] = [trafficStart(a), trafficEnd(a), trafficStart(b), trafficEnd(b)];
  return as < ae && bs < be && as < be && bs < ae;
}

function listsIntersect(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  const set = new Set(a);
  return b.some((x) => set.has(x));
}

function audiencesIntersect(a: (typeof AUDIENCES)[number], b: (typeof AUDIENCES)[number]): boolean {
  return a === "all" || b === "all" || a === b;
}

function pathSegment(s: string): string | number {
  return /^\d+$/.test(s) ? Number(s) : s;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
