/**
 * Internal endpoints for the edge worker, guarded by BACKEND_TOKEN: batch ingest from
 * the queue consumer (idempotent on event_id) and user erasure.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { audit } from "../audit/audit-trail.js";
import { requireBackendToken } from "../auth/require-backend-token.js";
import type { Db } from "../db/client.js";
import { errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import { ingestBatch } from "../ingest/ingest-batch.js";
import type { BackendMetrics } from "../metrics/backend-metrics.js";
import { eraseUser } from "../users/erase-user.js";
import { hashUserId } from "../../models/user-hash.js";
import { EraseQuerySchema, EraseResultSchema, IngestBodySchema, IngestResultSchema, UserParamsSchema } from "./ingest-schemas.js";

export interface InternalRouteDeps {
  db: Db;
  backendToken: string;
  metrics: BackendMetrics;
  /** Key of the user-id hash (tombstones are keyed by it). */
  userIdHashKey: string;
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
      description:
        "Rows of erased users (erased_users tombstones) accepted by the edge at or before the erasure (`received_at`, else `ts`) are dropped and counted in `erased`.",
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
      const result = await ingestBatch(deps.db, c.req.valid("json"), deps.userIdHashKey);
      deps.metrics.recordIngested(result.insertedEvents, result.events.duplicates, Date.now());
      deps.metrics.recordServed(result.insertedServed);
      const { dropped } = result;
      const anyDropped = dropped.events + dropped.feedback + dropped.served + dropped.shadow > 0;
      return c.json(
        { events: result.events, feedback: result.feedback, served: result.served, shadow: result.shadow, ...(anyDropped ? { erased: dropped } : {}) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/internal/v1/users/{userId}",
      summary: "Erase a user's interactions, feedback, served lists, shadow lists and user row, and write the tombstone",
      description:
        "Idempotent. The tombstone (erased_users: keyed hash of the id, erased_at) is kept for good; ingest drops the user's rows accepted at or before erased_at. `erased_at` (epoch ms) is the edge's erasure time; absent, now.",
      tags: ["internal"],
      security: BEARER_SECURITY,
      middleware: [serviceAuth] as const,
      request: { params: UserParamsSchema, query: EraseQuerySchema },
      responses: { 200: { description: "Rows deleted, tombstone written", content: json(EraseResultSchema) }, ...errorResponses(400, 401) },
    }),
    async (c) => {
      const { userId } = c.req.valid("param");
      const { erased_at } = c.req.valid("query");
      const userHash = await hashUserId(userId, deps.userIdHashKey);
      const erasure = await eraseUser(deps.db, userId, userHash, new Date(erased_at ?? Date.now()));
      await audit(c, "user.erase", `user:${userHash}`, { deleted: erasure.deleted }, "edge");
      return c.json({ user_id: userId, user_hash: userHash, erased_at: erasure.erasedAt.toISOString(), deleted: erasure.deleted }, 200);
    },
  );

  return app;
}
