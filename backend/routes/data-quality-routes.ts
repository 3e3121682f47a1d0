/** The data-quality report (scope `admin`): the checks of data-quality/data-quality.ts over the last hours, now. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { wholeNumberParam } from "../../models/whole-number-param.js";
import type { RequireScope } from "../auth/require-scope.js";
import type { Db } from "../db/client.js";
import { report, type DataQualityThresholds } from "../data-quality/data-quality.js";
import { windowStats } from "../data-quality/window-stats.js";
import { DRIFT_FEATURES, driftReport, withDriftAlerts } from "../data-quality/drift.js";
import { errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";

const QuerySchema = z.object({
  hours: wholeNumberParam(1, 168, "must be a whole number of hours between 1 and 168")
    .default(1)
    .openapi({ description: "The window: events with a timestamp in the last this many hours" }),
});

const AlertSchema = z.object({
  check: z.enum(["unknown_items", "new_users", "invalid_events", "low_volume", "drift"]),
  feature: z.string().optional().openapi({ description: "For drift: the input that moved" }),
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
    invalid_event_share: z.number().nullable().openapi({
      description: "Share of the events received at the edge that it refused as invalid (refused ÷ (stored + refused)); null when nothing arrived",
    }),
    invalid_by_field: z.record(z.string(), z.number().int()).openapi({ description: "Refused events per field their errors named" }),
    alerts: z.array(AlertSchema),
  })
  .openapi("DataQualityReport");

const DriftQuerySchema = z.object({
  hours: wholeNumberParam(1, 168, "must be a whole number of hours between 1 and 168")
    .optional()
    .openapi({ description: "The recent window compared with the training window; DATA_QUALITY_DRIFT_HOURS (24) when absent" }),
  at: z.iso
    .datetime({ offset: true, message: "must be an ISO-8601 date-time with a time zone (2026-01-31T12:00:00Z)" })
    .optional()
    .openapi({ description: "The end of the recent window; now when absent" }),
});

const isoTime = () => z.string().openapi({ format: "date-time" });

const DriftSchema = z
  .object({
    reference: z
      .object({ version: z.string(), from: isoTime(), to: isoTime(), events: z.number().int() })
      .nullable()
      .openapi({ description: "The champion whose training window is the reference; null without a champion" }),
    current: z.object({ from: isoTime(), to: isoTime(), events: z.number().int() }),
    features: z
      .array(
        z.object({
          feature: z.union([z.enum(DRIFT_FEATURES), z.string().regex(/^ranking_[a-z0-9_]+$/)]).openapi({
            description: "An event input, `served_score`, or `ranking_<feature>` for a ranking feature of the served lists' heads",
          }),
          psi: z.number(),
          bins: z.array(z.object({ bin: z.string(), reference: z.number(), current: z.number() })),
        }),
      )
      .openapi({
        description:
          "The event inputs (none without a champion or with fewer than 200 recent events), then served_score and the ranking_* rows once the champion's lists carry 200 of each",
      }),
    alerts: z.array(AlertSchema),
  })
  .openapi("DriftReport");

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
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/data-quality/drift",
      summary: "Input drift: the recent events against the champion's training window, by population stability index",
      description:
        "For each monitored input (event type, the item's popularity decile in the training window, its category, its price " +
        "decile) the shares of the training window's events and of the recent ones per bin, and their PSI (below 0.1 stable, " +
        "above 0.25 a major shift). A PSI past DATA_QUALITY_MAX_PSI is an alert; the monitor sends it as the data_quality.alert webhook.",
      tags: ["data quality"],
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { query: DriftQuerySchema },
      responses: { 200: { description: "The drift report", content: { "application/json": { schema: DriftSchema } } }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const hours = query.hours ?? deps.thresholds.driftHours;
      const at = query.at ? new Date(query.at) : new Date();
      return c.json(withDriftAlerts(await driftReport(deps.db, hours, at), deps.thresholds.maxPsi, hours), 200);
    },
  );
  return app;
}
