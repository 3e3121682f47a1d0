/**
 * Canary rollout API (scope `models:publish`): start a canary of a published version, list canaries, and
 * evaluate the running one now (the server also does so every CANARY_CHECK_MINUTES).
 *
 * Mounted before the training routes: `GET /api/v1/recs/models/canaries` would otherwise
 * be taken for the model version "canaries".
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { PRIMARY_METRICS } from "../../models/experiments/experiment.js";
import { DEFAULT_MIN_IMPRESSIONS_PER_VARIANT } from "../../models/experiments/stats/verdict.js";
import { audit } from "../audit/audit-trail.js";
import type { RequireScope } from "../auth/require-scope.js";
import { CANARY_DEFAULTS, CanaryError, evaluateCanaries, startCanary, type CanaryDeps, type CanaryEvaluation } from "../canary/canary.js";
import { listCanaries, type CanaryRow } from "../canary/canary-store.js";
import { ApiError, errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import { ListQuerySchema, VersionParamsSchema } from "./training-schemas.js";
import { actorOf } from "../http/request-actor.js";

export interface CanaryRouteDeps extends CanaryDeps {
  requireScope: RequireScope;
}

const json = <T>(schema: T) => ({ "application/json": { schema } });
const TAGS = ["training"];
const isoTime = () => z.string().openapi({ format: "date-time" });

const CanaryBodySchema = z
  .strictObject({
    traffic_percent: z.number().int().min(1).max(50).optional().openapi({ description: "Percent of all traffic on the canary (default 5)", example: 5 }),
    min_impressions_per_variant: z
      .number()
      .int()
      // Below the readout's own minimum the verdict says nothing, so "not worse" would be unread.
      .min(DEFAULT_MIN_IMPRESSIONS_PER_VARIANT)
      .max(10_000_000)
      .optional()
      .openapi({ description: "Impressions each arm needs before the canary may be promoted (default 2000); a significant loss rolls it back sooner" }),
    primary_metric: z.enum(PRIMARY_METRICS).optional().openapi({ description: "default ctr" }),
  })
  .openapi("CanaryRequest");

const CanarySchema = z
  .object({
    id: z.number().int(),
    version: z.string(),
    experiment_id: z.string(),
    champion_version: z.string().openapi({ description: "The champion it is compared with (the control arm serves it)" }),
    traffic_percent: z.number().int(),
    min_impressions_per_variant: z.number().int(),
    status: z.enum(["running", "promoted", "rolled_back"]),
    reason: z.string().nullable().openapi({ description: "Why it ended: the verdict sentence, or what made the comparison moot" }),
    created_by: z.string(),
    created_at: isoTime(),
    decided_at: isoTime().nullable(),
  })
  .openapi("Canary");

const CanaryListSchema = z.object({ canaries: z.array(CanarySchema) }).openapi("CanaryList");

const EvaluationSchema = z
  .object({
    evaluated: z.array(
      z.object({
        version: z.string(),
        experiment_id: z.string(),
        outcome: z.enum(["promoted", "rolled_back", "running", "error"]),
        reason: z.string(),
      }),
    ),
  })
  .openapi("CanaryEvaluation");

export function canaryRoutes(deps: CanaryRouteDeps): OpenAPIHono<AppEnv> {
  const app = openApiApp();

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/recs/models/canaries",
      summary: "Canary rollouts, newest first",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("models:publish")] as const,
      request: { query: ListQuerySchema },
      responses: { 200: { description: "Canaries", content: json(CanaryListSchema) }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { limit } = c.req.valid("query");
      return c.json({ canaries: (await listCanaries(deps.db, limit)).map(toCanaryJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/recs/models/canaries/evaluate",
      summary: "Decide the running canaries now: promote, roll back or keep running",
      description: "What the CANARY_CHECK_MINUTES timer does. Empty when another evaluation is deciding at the same moment.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("models:publish")] as const,
      responses: { 200: { description: "One entry per running canary", content: json(EvaluationSchema) }, ...errorResponses(401, 403, 415) },
    }),
    async (c) => {
      const evaluated = await evaluateCanaries(deps);
      await audit(c, "canary.evaluate", null, { evaluated: evaluated.map(toEvaluationJson) });
      return c.json({ evaluated: evaluated.map(toEvaluationJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/recs/models/{version}/canary",
      summary: "Serve a published version to a share of traffic against the champion; promoted or rolled back automatically",
      description:
        'Creates and starts the experiment "canary <version>" over all traffic: `control` (the champion, weight 100 − p) and ' +
        "`canary` (the version, weight p), published to the edge. Rolled back (version rejected) as soon as the control beats it " +
        "on the primary metric (sequential test); promoted to champion once both arms have min_impressions_per_variant and it " +
        "is not worse. 409 when the version is the champion, was never published or was rejected, when there is no champion, " +
        "when a canary is already running, or when a running experiment overlaps; 503 when the edge did not take the experiment.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("models:publish")] as const,
      request: { params: VersionParamsSchema, body: { required: true, content: json(CanaryBodySchema) } },
      responses: {
        201: { description: "Running", content: json(CanarySchema) },
        ...errorResponses(400, 401, 403, 404, 409, 415, 503),
      },
    }),
    async (c) => {
      const { version } = c.req.valid("param");
      const body = c.req.valid("json");
      const request = {
        trafficPercent: body.traffic_percent ?? CANARY_DEFAULTS.trafficPercent,
        minImpressionsPerVariant: body.min_impressions_per_variant ?? CANARY_DEFAULTS.minImpressionsPerVariant,
        primaryMetric: body.primary_metric ?? CANARY_DEFAULTS.primaryMetric,
      };
      const row = await canaryCall(() => startCanary(deps, version, request, actorOf(c)));
      await audit(c, "canary.start", version, { experiment_id: row.experimentId, traffic_percent: row.trafficPercent });
      return c.json(toCanaryJson(row), 201);
    },
  );

  return app;
}

function toCanaryJson(row: CanaryRow): z.infer<typeof CanarySchema> {
  return {
    id: row.id,
    version: row.version,
    experiment_id: row.experimentId,
    champion_version: row.championVersion,
    traffic_percent: row.trafficPercent,
    min_impressions_per_variant: row.minImpressions,
    status: row.status,
    reason: row.reason,
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
    decided_at: row.decidedAt?.toISOString() ?? null,
  };
}

function toEvaluationJson(e: CanaryEvaluation) {
  return { version: e.version, experiment_id: e.experimentId, outcome: e.outcome, reason: e.reason };
}

/** Canary refusals become API errors: unknown → 404, not now → 409, edge down → 503. */
async function canaryCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof CanaryError)) throw error;
    if (error.kind === "not_found") throw new ApiError(404, "not_found", error.message, "version");
    if (error.kind === "edge_unavailable") throw new ApiError(503, "edge_unavailable", error.message);
    throw new ApiError(409, "conflict", error.message);
  }
}
