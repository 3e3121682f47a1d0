/**
 * Shadow rollout API: start a shadow of a published version, read how its lists compare
 * with the served ones, stop it. See backend/shadow/shadow.ts.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { audit } from "../audit/audit-trail.js";
import type { RequireScope } from "../auth/require-scope.js";
import { ApiError, errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import { PublishError } from "../publish/edge-admin-client.js";
import { DEFAULT_SHADOW_SAMPLE_PERCENT, shadowReadout, ShadowError, startShadow, stopShadow, type ShadowDeps } from "../shadow/shadow.js";
import type { ShadowRow } from "../shadow/shadow-store.js";
import { VersionParamsSchema } from "./training-schemas.js";
import { actorOf } from "../http/request-actor.js";

export interface ShadowRouteDeps extends ShadowDeps {
  requireScope: RequireScope;
}

const json = <T>(schema: T) => ({ "application/json": { schema } });
const TAGS = ["training"];
const isoTime = () => z.string().openapi({ format: "date-time" });

const ShadowBodySchema = z
  .strictObject({
    sample_percent: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .openapi({
        description: `Percent of "for you" requests the shadow also scores (default ${DEFAULT_SHADOW_SAMPLE_PERCENT}); each costs a second scoring at the edge, after the answer`,
      }),
  })
  .openapi("ShadowRequest");

const ShadowSchema = z
  .object({
    id: z.number().int(),
    version: z.string(),
    champion_version: z.string().openapi({ description: "The champion when the shadow started" }),
    sample_percent: z.number().int(),
    status: z.enum(["running", "stopped"]),
    created_by: z.string(),
    created_at: isoTime(),
    stopped_at: isoTime().nullable(),
  })
  .openapi("Shadow");

const ComparisonSchema = z
  .object({
    requests: z.number().int().openapi({ description: "Requests with both a served and a shadow list" }),
    k: z.number().int(),
    mean_overlap_at_k: z.number().nullable().openapi({ description: "Mean |served ∩ shadow| / k over the top k" }),
    requests_with_outcomes: z.number().int().openapi({ description: "Requests after which the user clicked, carted or bought something" }),
    served_hit_rate: z.number().nullable().openapi({ description: "Share of those whose served list held an outcome item (inflated by exposure)" }),
    shadow_hit_rate: z.number().nullable().openapi({ description: "Share of those whose shadow list held an outcome item (a lower bound: never shown)" }),
    shadow_only_hits: z.number().int(),
    served_only_hits: z.number().int(),
    served_latency_p95_ms: z.number().nullable(),
    shadow_latency_p95_ms: z.number().nullable(),
  })
  .openapi("ShadowComparison");

const ReadoutSchema = z.object({ shadow: ShadowSchema, comparison: ComparisonSchema }).openapi("ShadowReadout");

export function shadowRoutes(deps: ShadowRouteDeps): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  const guard = deps.requireScope("models:publish");

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/recs/models/{version}/shadow",
      summary: "Score a sample of live requests with a published version, logged for comparison but never served",
      description:
        "409 when the version is the champion, is not published, when there is no champion or when another shadow runs; " +
        "503 when the edge did not take it (nothing changed).",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [guard] as const,
      request: { params: VersionParamsSchema, body: { required: false, content: json(ShadowBodySchema) } },
      responses: { 201: { description: "Running", content: json(ShadowSchema) }, ...errorResponses(400, 401, 403, 404, 409, 415, 503) },
    }),
    async (c) => {
      const { version } = c.req.valid("param");
      const body = c.req.valid("json") ?? {};
      const row = await shadowCall(() => startShadow(deps, version, body.sample_percent ?? DEFAULT_SHADOW_SAMPLE_PERCENT, actorOf(c)));
      await audit(c, "shadow.start", version, { sample_percent: row.samplePercent, champion: row.championVersion });
      return c.json(toShadowJson(row), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/recs/models/{version}/shadow",
      summary: "The version's latest shadow and how its lists compare with the served ones",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [guard] as const,
      request: { params: VersionParamsSchema },
      responses: { 200: { description: "Readout", content: json(ReadoutSchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { version } = c.req.valid("param");
      const readout = await shadowReadout(deps, version);
      if (!readout) throw new ApiError(404, "not_found", `version "${version}" was never shadowed`, "version");
      return c.json({ shadow: toShadowJson(readout.shadow), comparison: readout.comparison }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/recs/models/{version}/shadow/stop",
      summary: "Stop the version's running shadow",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [guard] as const,
      request: { params: VersionParamsSchema },
      responses: { 200: { description: "Stopped", content: json(ShadowSchema) }, ...errorResponses(400, 401, 403, 404, 415, 503) },
    }),
    async (c) => {
      const { version } = c.req.valid("param");
      const row = await shadowCall(() => stopShadow(deps, version, actorOf(c)));
      await audit(c, "shadow.stop", version);
      return c.json(toShadowJson(row), 200);
    },
  );

  return app;
}

function toShadowJson(row: ShadowRow): z.infer<typeof ShadowSchema> {
  return {
    id: row.id,
    version: row.version,
    champion_version: row.championVersion,
    sample_percent: row.samplePercent,
    status: row.status,
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
    stopped_at: row.stoppedAt?.toISOString() ?? null,
  };
}

async function shadowCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PublishError) throw new ApiError(503, "edge_unavailable", error.message);
    if (!(error instanceof ShadowError)) throw error;
    if (error.kind === "not_found") throw new ApiError(404, "not_found", error.message, "version");
    throw new ApiError(409, "conflict", error.message);
  }
}
