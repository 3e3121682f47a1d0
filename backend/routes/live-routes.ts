/** Live serving and intake rates (scope `admin`): what the dashboard's live panel shows, from metrics/live-rates.ts. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { wholeNumberParam } from "../../models/whole-number-param.js";
import type { RequireScope } from "../auth/require-scope.js";
import { errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import { LIVE_WINDOW_MAX_SECONDS, type LiveRates } from "../metrics/live-rates.js";

const QuerySchema = z.object({
  seconds: wholeNumberParam(1, LIVE_WINDOW_MAX_SECONDS, `must be a whole number of seconds between 1 and ${LIVE_WINDOW_MAX_SECONDS}`)
    .default(60)
    .openapi({ description: "The window: the last this many whole seconds" }),
});

const nullableMs = z.number().nullable();

const LiveSchema = z
  .object({
    window_seconds: z.number().int(),
    ingested_events: z.number().int().openapi({ description: "Events newly stored by the ingest endpoint (the queue consumer's deliveries)" }),
    ingested_per_second: z.number(),
    served_lists: z.number().int().openapi({ description: "Lists the edge served whose logs arrived in the window" }),
    served_per_second: z.number(),
    latency_ms: z
      .object({ p50: nullableMs, p95: nullableMs, p99: nullableMs, measured: z.number().int() })
      .openapi({ description: "Edge time per list, as the edge measured it; each percentile within 5 % above the exact one" }),
    degraded_lists: z.number().int(),
    degraded_share: z.number().nullable(),
    degraded_by_stage: z.record(z.string(), z.number().int()),
    per_second: z
      .array(z.object({ second: z.number().int().openapi({ description: "Unix seconds" }), ingested: z.number().int(), served: z.number().int() }))
      .openapi({ description: "Each second of the window, oldest first" }),
  })
  .openapi("LiveRates");

export function liveRoutes(deps: { live: LiveRates; requireScope: RequireScope }): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/ops/live",
      summary: "Intake and serving over the last seconds: events/s, lists/s, edge latency percentiles, degraded share",
      description: "Kept in this backend process for the last five minutes; /metrics has the same figures as counters since start.",
      tags: ["ops"],
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { query: QuerySchema },
      responses: { 200: { description: "The rates", content: { "application/json": { schema: LiveSchema } } }, ...errorResponses(400, 401, 403) },
    }),
    (c) => c.json(deps.live.snapshot(c.req.valid("query").seconds), 200),
  );
  return app;
}
