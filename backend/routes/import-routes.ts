/**
 * History import: `POST /api/v1/interactions/import` streams NDJSON or CSV straight into
 * Postgres (backend/import). The body is read as it arrives, so it has no size cap
 * beyond the per-record one; the app's JSON guards skip this path (app.ts).
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { wholeNumberParam } from "../../models/whole-number-param.js";
import { audit } from "../audit/audit-trail.js";
import type { RequireScope } from "../auth/require-scope.js";
import type { Db } from "../db/client.js";
import { ApiError, errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import { DEFAULT_MAX_BAD_ROWS, importInteractions, REPORTED_BAD_ROWS } from "../import/import-interactions.js";
import { importRecords, MAX_RECORD_BYTES, type ImportFormat } from "../import/import-records.js";
import { IMPORT_COLUMNS } from "../import/import-row.js";
import type { BackendMetrics } from "../metrics/backend-metrics.js";

export const IMPORT_PATH = "/api/v1/interactions/import";

export interface ImportRouteDeps {
  db: Db;
  requireScope: RequireScope;
  metrics: BackendMetrics;
  userIdHashKey: string;
}

const FORMATS: Record<string, ImportFormat> = {
  "application/x-ndjson": "ndjson",
  "application/ndjson": "ndjson",
  "application/jsonl": "ndjson",
  "text/csv": "csv",
};

const ImportQuerySchema = z.object({
  max_bad_rows: wholeNumberParam(0, 1_000_000)
    .optional()
    .openapi({
      param: { name: "max_bad_rows", in: "query" },
      type: "integer",
      description: `More bad rows than this abort the import with nothing stored (default ${DEFAULT_MAX_BAD_ROWS})`,
    }),
});

const BadRowSchema = z.object({ line: z.number().int(), field: z.string(), reason: z.string() }).openapi("ImportBadRow");

export const ImportResultSchema = z
  .object({
    rows: z.number().int().openapi({ description: "Records read (blank lines and the CSV header excluded)" }),
    stored: z.number().int(),
    duplicates: z.number().int().openapi({ description: "Rows whose event_id was already stored (re-imports, live intake)" }),
    erased: z.number().int().openapi({ description: "Rows of erased users dated at or before their erasure, dropped" }),
    bad_rows: z.number().int().openapi({ description: "Rows skipped as invalid; each is in `errors` (up to the first 1,000)" }),
    errors: z.array(BadRowSchema),
    users: z.number().int().openapi({ description: "Distinct users among the good rows" }),
    elapsed_ms: z.number().int(),
    rows_per_second: z.number().int(),
  })
  .openapi("ImportResult");

const body = (example: string) => ({ schema: z.string().openapi({ example }) });

export function importRoutes(deps: ImportRouteDeps): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  app.openapi(
    createRoute({
      method: "post",
      path: IMPORT_PATH,
      summary: "Import interaction history (NDJSON or CSV), straight into Postgres",
      description: [
        "For history from another system: any timestamp since 1970 (the live `POST /v1/events` refuses events before 2000).",
        `Columns / fields: ${IMPORT_COLUMNS.join(", ")}; user_id, item_id, type and ts are required, ts as epoch milliseconds or ISO-8601 with a zone.`,
        "A row without event_id gets one derived from its content, so importing the same file again adds nothing.",
        `Bad rows are skipped and reported with their line number (the first ${REPORTED_BAD_ROWS}); more than max_bad_rows of them, a broken stream or a database error store nothing at all (one transaction).`,
        `The answer arrives once every row is committed. Records are at most ${MAX_RECORD_BYTES} bytes.`,
      ].join(" "),
      tags: ["interactions"],
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: {
        query: ImportQuerySchema,
        body: {
          required: true,
          content: {
            "application/x-ndjson": body('{"user_id":"u1","item_id":"sku-1","type":"purchase","ts":"2011-01-31T10:00:00Z"}\n'),
            "text/csv": body("user_id,item_id,type,ts\nu1,sku-1,purchase,1296468000000\n"),
          },
        },
      },
      responses: {
        200: { description: "Committed: every good row is stored (or was already)", content: { "application/json": { schema: ImportResultSchema } } },
        ...errorResponses(400, 401, 403, 415),
        422: { description: "More bad rows than max_bad_rows; nothing stored", content: errorResponses(400)[400].content },
      },
    }),
    async (c) => {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      const format = FORMATS[type];
      if (!format) {
        throw new ApiError(
          415,
          "unsupported_media_type",
          `import body must be application/x-ndjson or text/csv, got ${type || "no content-type"}`,
          "content-type",
        );
      }
      const stream = c.req.raw.body;
      if (!stream) throw new ApiError(400, "invalid_request", "the import body is empty", "body");
      const { max_bad_rows } = c.req.valid("query");
      const result = await importInteractions(deps.db, importRecords(stream, format), {
        userIdHashKey: deps.userIdHashKey,
        ...(max_bad_rows !== undefined ? { maxBadRows: max_bad_rows } : {}),
      });
      deps.metrics.recordImported(result.stored, result.duplicates);
      await audit(c, "interactions.import", null, { format, rows: result.rows, stored: result.stored, duplicates: result.duplicates, bad_rows: result.bad });
      return c.json(
        {
          rows: result.rows,
          stored: result.stored,
          duplicates: result.duplicates,
          erased: result.erased,
          bad_rows: result.bad,
          errors: result.badRows,
          users: result.users,
          elapsed_ms: result.elapsedMs,
          rows_per_second: Math.round((result.rows * 1000) / Math.max(1, result.elapsedMs)),
        },
        200,
      );
    },
  );
  return app;
}
