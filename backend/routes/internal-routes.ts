/**
 * Internal endpoints for the edge worker, guarded by BACKEND_TOKEN: batch ingest from
 * the queue consumer (idempotent on event_id) and user erasure.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { audit, auditUserTarget } from "../audit/audit-trail.js";
import { requireBackendToken } from "../auth/require-backend-token.js";
import type { Db } from "../db/client.js";
import { errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import { ingestBatch } from "../ingest/ingest-batch.js";
import type { BackendMetrics } from "../metrics/backend-metrics.js";
import { eraseUser } from "../users/erase-user.js";
import { EraseResultSchema, IngestBodySchema, IngestResultSchema, UserParamsSchema } from "./ingest-schemas.js";

export interface InternalRouteDeps {
  db: Db;
  backendToken: string;
  metrics: BackendMetrics;
}

const json = <T>(schema: T) => ({ "application/json": { schema } });

export function internalRoutes(deps: InternalRouteDeps): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  const serviceAuth = requireBackendToken(deps.backendToken);

  app.openapi(
    createRoute({
      method: "post",
      path: "/internal/v1/ingest",
      summary: "Store a batch of events, feedback and served lists (idempotent)",
      tags: ["internal"],
      security: BEARER_SECURITY,
      middleware: [serviceAuth] as const,
      request: { body: { required: true, content: json(IngestBodySchema) } },
      responses: {
        200: { description: "Stored; rows seen before are counted as duplicates", content: json(IngestResultSchema) },
        ...errorResponses(400, 401, 413, 415),
      },
    }),
    async (c) => {
      const result = await ingestBatch(deps.db, c.req.valid("json"));
      deps.metrics.recordIngested(result.insertedEvents, result.events.duplicates, Date.now());
      return c.json({ events: result.events, feedback: result.feedback, served: result.served }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/internal/v1/users/{userId}",
      summary: "Erase a user's interactions, feedback, served lists and user row",
      tags: ["internal"],
      security: BEARER_SECURITY,
      middleware: [serviceAuth] as const,
      request: { params: UserParamsSchema },
      responses: { 200: { description: "Rows deleted", content: json(EraseResultSchema) }, ...errorResponses(400, 401) },
    }),
    async (c) => {
      const { userId } = c.req.valid("param");
      const deleted = await eraseUser(deps.db, userId);
      await audit(c, "user.erase", auditUserTarget(c, userId), { deleted }, "edge");
      return c.json({ user_id: userId, deleted }, 200);
    },
  );

  return app;
}
