/** The data-quality report (scope `admin`): the checks of data-quality/data-quality.ts over the last hours, now. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { wholeNumberParam } from "../../models/whole-number-param.js";
import type { RequireScope } from "../auth/require-scope.js";
import type { Db } from "../db/client.js";
import { report, windowStats, type DataQualityThresholds } from "../data-quality/data-quality.js";
import { errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";

const QuerySchema = z.object({
  hours: wholeNumberParam(1, 168, "must be a whole number of hours between 1 and 168")
    .default(1)
    .openapi({ description: "The window: events with a timestamp in the last this many hours" }),
});

const AlertSchema = z.object({
  check: z.enum(["unknown_items", "new_users", "low_volume"]),
  value: z.number(),
  threshold: z.number(),
  message: z.string(),
});

const ReportSchema = z
  .object({
    from: z.string().openapi({ format: "date-time" }),
    to: z.string().openapi({ format: "date-time" }),
    events: z.number().int(),
    by_type: z.record(z.string(), z.number().int()),
    unknown_item_share: z.number().nullable().openapi({ description: "Share of events for items not in the catalog; null without events" }),
    new_user_share: z.number().nullable().openapi({ description: "Share of events from users first seen in the window" }),
    alerts: z.array(AlertSchema),
  })
  .openapi("DataQualityReport");

export function dataQualityRoutes(deps: { db: Db; requireScope: RequireScope; thresholds: DataQualityThresholds }): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/data-quality",
      summary: "Data-quality checks over the last hours of events",
      description:
        "Event volume by type, the share of events for items the catalog does not hold and of events from users first seen " +
        "in the window, and the alerts the configured thresholds raise (DATA_QUALITY_* settings). The same checks run every " +
        "DATA_QUALITY_CHECK_MINUTES into /metrics and the data_quality.alert webhook.",
      tags: ["data quality"],
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { query: QuerySchema },
      responses: { 200: { description: "The report", content: { "application/json": { schema: ReportSchema } } }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => c.json(report(await windowStats(deps.db, c.req.valid("query").hours), deps.thresholds), 200),
  );
  return app;
}
