/** Request and response schemas of the training and model registry API (documented in /openapi.json). */
import { z } from "@hono/zod-openapi";
import { ARTIFACT_ROLES, ModelVersionSchema } from "../../models/model-manifest.js";
import type { ModelEventRow, ModelVersionRow, TrainingJobRow } from "../db/schema.js";
import { limitParam } from "../http/query-params.js";
import { MODEL_STATUSES } from "../registry/model-registry.js";
import { MODEL_TYPES, TRAINING_TRIGGERS, type MetricsRowLike, type TrainingWindow } from "../training-jobs/types.js";

const BOUND_MESSAGE = "must be an ISO-8601 date (2026-01-31) or date-time with a time zone (2026-01-31T12:00:00Z)";
const isoDate = z.iso.date();
const isoDateTime = z.iso.datetime({ offset: true });

/** A bare date as `to` means the whole of that day (UTC): the window ends at the next midnight. */
function toInstant(value: string, end: boolean): Date {
  if (!isoDate.safeParse(value).success) return new Date(value);
  const day = new Date(`${value}T00:00:00.000Z`);
  return end ? new Date(day.getTime() + 86_400_000) : day;
}

const WindowBound = z
  .string()
  .max(64, BOUND_MESSAGE)
  // abort: the body-level window check below must never see an unparseable bound.
  .refine(isBound, { message: BOUND_MESSAGE, abort: true });

function isBound(v: string): boolean {
  return (isoDate.safeParse(v).success || isoDateTime.safeParse(v).success) && !Number.isNaN(Date.parse(v));
}

type TrainBody = {
  model_type?: (typeof MODEL_TYPES)[number] | undefined;
  from?: string | undefined;
  to?: string | undefined;
  start_date?: string | undefined;
  end_date?: string | undefined;
};

/** `start_date`/`end_date` (the architecture brief's names) are accepted as aliases of `from`/`to`, not both at once. */
function checkWindow(body: TrainBody, ctx: z.core.$RefinementCtx): void {
  if (body.from !== undefined && body.start_date !== undefined) {
    ctx.addIssue({ code: "custom", path: ["start_date"], message: "give either from or start_date, not both" });
  }
  if (body.to !== undefined && body.end_date !== undefined) {
    ctx.addIssue({ code: "custom", path: ["end_date"], message: "give either to or end_date, not both" });
  }
  const bounds = [body.from ?? body.start_date, body.to ?? body.end_date];
  if (!bounds.every((b) => b === undefined || isBound(b))) return;
  const { from, to } = windowOf(body);
  if (from !== undefined && to !== undefined && from >= to) {
    const field = body.from !== undefined ? "from" : "start_date";
    ctx.addIssue({ code: "custom", path: [field], message: "must be before to" });
  }
}

export const TrainBodySchema = z
  .strictObject({
    model_type: z
      .enum(MODEL_TYPES, { message: `must be one of ${MODEL_TYPES.join(", ")}` })
      .optional()
      .openapi({ description: "`pipeline` (default): retrieval + neighbours + ranker; `retrieval`: iALS retrieval alone" }),
    from: WindowBound.optional().openapi({
      description: "Train on interactions at or after this instant (a date means its midnight UTC)",
      example: "2026-01-01",
    }),
    to: WindowBound.optional().openapi({ description: "…and before this instant (a date includes that whole day, UTC)", example: "2026-01-31" }),
    start_date: WindowBound.optional().openapi({ description: "Alias of `from`" }),
    end_date: WindowBound.optional().openapi({ description: "Alias of `to`" }),
  })
  .superRefine(checkWindow)
  .openapi("TrainRequest");

/** The validated body as the runner's window: ISO instants, `from` inclusive, `to` exclusive. */
export function windowOf(body: TrainBody): TrainingWindow {
  const from = body.from ?? body.start_date;
  const to = body.to ?? body.end_date;
  return {
    ...(from !== undefined ? { from: toInstant(from, false).toISOString() } : {}),
    ...(to !== undefined ? { to: toInstant(to, true).toISOString() } : {}),
  };
}

export const TrainAcceptedSchema = z
  .object({
    training_id: z.string().openapi({ format: "uuid" }),
    status: z.literal("queued"),
    position: z.number().int().openapi({ description: "Jobs ahead of this one (the running one included); 0: it starts next" }),
  })
  .openapi("TrainAccepted");

const MetricsRowSchema = z
  .object({
    model: z.string(),
    group: z.enum(["warm", "cold"]),
    k: z.number().int(),
    users: z.number().int(),
    recall: z.number().nullable(),
    precision: z.number().nullable().openapi({ description: "Precision@k; null on rows stored before it was reported" }),
    ndcg: z.number().nullable(),
    map: z.number().nullable(),
    hit_rate: z.number().nullable(),
    coverage: z.number().nullable(),
  })
  .openapi("MetricsRow", { description: "One row of an offline evaluation report; null where undefined (no users)" });

const isoTime = () => z.string().openapi({ format: "date-time" });

export const TrainingJobSchema = z
  .object({
    training_id: z.string().openapi({ format: "uuid" }),
    status: z.enum(["queued", "running", "succeeded", "failed"]),
    model_type: z.enum(MODEL_TYPES),
    trigger: z.enum(TRAINING_TRIGGERS),
    window: z.object({ from: isoTime().nullable(), to: isoTime().nullable() }),
    progress: z.number().openapi({ description: "0 … 1" }),
    message: z.string(),
    position: z.number().int().nullable().openapi({ description: "While queued: jobs ahead of this one" }),
    version: z.string().nullable(),
    metrics: z.array(MetricsRowSchema).nullable(),
    error: z.string().nullable(),
    created_at: isoTime(),
    started_at: isoTime().nullable(),
    finished_at: isoTime().nullable(),
  })
  .openapi("TrainingJob");

export const TrainingJobListSchema = z.object({ jobs: z.array(TrainingJobSchema) }).openapi("TrainingJobList");

const ModelVersionSchemaOut = z
  .object({
    version: z.string(),
    model_type: z.enum(MODEL_TYPES),
    status: z.enum(MODEL_STATUSES),
    params: z.record(z.string(), z.unknown()),
    data_window: z.object({
      from: z.string(),
      to: z.string(),
      interactions: z.number().int(),
      users: z.number().int(),
      items: z.number().int(),
    }),
    metrics: z.array(MetricsRowSchema),
    baseline_metrics: z.array(MetricsRowSchema),
    gate: z.object({ passed: z.boolean(), reasons: z.array(z.string()) }).nullable(),
    artifacts: z.array(z.object({ name: z.string(), role: z.enum(ARTIFACT_ROLES), sha256: z.string(), bytes: z.number().int() })),
    manifest_sha256: z.string().nullable(),
    parent_version: z.string().nullable().openapi({ description: "The champion when this version was trained" }),
    training_id: z.string().nullable(),
    created_at: isoTime(),
    published_at: isoTime().nullable(),
    promoted_at: isoTime().nullable(),
  })
  .openapi("ModelVersion");

const ModelEventSchema = z
  .object({
    version: z.string(),
    action: z.enum([
      "trained",
      "published",
      "promoted",
      "rolled_back",
      "rejected",
      "canary_started",
      "canary_rolled_back",
      "canary_ended",
      "shadow_started",
      "shadow_stopped",
    ]),
    actor: z.string(),
    detail: z.record(z.string(), z.unknown()),
    at: isoTime(),
  })
  .openapi("ModelEvent");

export const ModelVersionDetailSchema = ModelVersionSchemaOut.extend({ events: z.array(ModelEventSchema) }).openapi("ModelVersionDetail");

export const ModelListSchema = z.object({ champion: z.string().nullable(), models: z.array(ModelVersionSchemaOut) }).openapi("ModelVersionList");

export const PromoteResultSchema = z.object({ version: z.string(), status: z.literal("champion"), previous: z.string().nullable() }).openapi("PromoteResult");

export const RollbackResultSchema = z.object({ version: z.string(), status: z.literal("champion"), rolled_back: z.string() }).openapi("RollbackResult");

export const TrainingParamsSchema = z.object({ trainingId: z.uuid({ message: "must be a UUID" }) });
// No .openapi() on a shared model schema (see catalog-schemas.ts); the key names the param.
export const VersionParamsSchema = z.object({ version: ModelVersionSchema });
export const ListQuerySchema = z.object({ limit: limitParam(100, 20) });

export function toJobJson(row: TrainingJobRow, position: number | null): z.infer<typeof TrainingJobSchema> {
  return {
    training_id: row.id,
    status: row.status,
    model_type: row.modelType,
    trigger: row.trigger,
    window: { from: row.window.from ?? null, to: row.window.to ?? null },
    progress: row.progress,
    message: row.message,
    position,
    version: row.version,
    metrics: row.metrics === null ? null : row.metrics.map(toMetricsJson),
    error: row.error,
    created_at: row.createdAt.toISOString(),
    started_at: row.startedAt?.toISOString() ?? null,
    finished_at: row.finishedAt?.toISOString() ?? null,
  };
}

export function toVersionJson(row: ModelVersionRow): z.infer<typeof ModelVersionSchemaOut> {
  return {
    version: row.version,
    model_type: row.modelType,
    status: row.status,
    params: row.params,
    data_window: row.dataWindow,
    metrics: row.metrics.map(toMetricsJson),
    baseline_metrics: row.baselineMetrics.map(toMetricsJson),
    gate: row.gate,
    artifacts: row.artifacts,
    manifest_sha256: row.manifestSha256,
    parent_version: row.parentVersion,
    training_id: row.trainingId,
    created_at: row.createdAt.toISOString(),
    published_at: row.publishedAt?.toISOString() ?? null,
    promoted_at: row.promotedAt?.toISOString() ?? null,
  };
}

export function toEventJson(row: ModelEventRow): z.infer<typeof ModelEventSchema> {
  return { version: row.version, action: row.action, actor: row.actor, detail: row.detail, at: row.at.toISOString() };
}

/** Stored rows went through JSON, where NaN (a metric over no users) became null. */
function toMetricsJson(r: MetricsRowLike): z.infer<typeof MetricsRowSchema> {
  const num = (x: number | null) => (typeof x === "number" && Number.isFinite(x) ? x : null);
  return {
    model: r.model,
    group: r.group,
    k: r.k,
    users: r.users,
    recall: num(r.recall),
    precision: num(r.precision ?? null),
    ndcg: num(r.ndcg),
    map: num(r.map),
    hit_rate: num(r.hitRate),
    coverage: num(r.coverage),
  };
}
