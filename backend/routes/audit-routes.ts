/** The audit log, read-only (scope `admin`): who did which administrative action, newest first. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { listAudit } from "../audit/audit-log.js";
import type { RequireScope } from "../auth/require-scope.js";
import type { Db } from "../db/client.js";
import { errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import { AuditPageSchema, AuditQuerySchema, toAuditJson } from "./audit-schemas.js";

export function auditRoutes(deps: { db: Db; requireScope: RequireScope }): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/audit",
      summary: "The audit log, newest first",
      description:
        "Key changes, training requests, promotions and rollbacks, canary decisions, experiment changes, catalog upserts " +
        "(counts only) and user erasures (the user as a keyed hash). Paged by id: pass `next_before` as `before`. Never " +
        "holds keys, key hashes or user ids.",
      tags: ["audit"],
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { query: AuditQuerySchema },
      responses: { 200: { description: "One page", content: { "application/json": { schema: AuditPageSchema } } }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { action, limit, before } = c.req.valid("query");
      const rows = await listAudit(deps.db, { limit, ...(action !== undefined ? { action } : {}), ...(before !== undefined ? { before } : {}) });
      const next = rows.length === limit ? (rows.at(-1)?.id ?? null) : null;
      return c.json({ entries: rows.map(toAuditJson), next_before: next }, 200);
    },
  );
  return app;
}
