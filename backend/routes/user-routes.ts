/** Admin debugging view of a user's stored interactions. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { audit, auditUserTarget } from "../audit/audit-trail.js";
import type { RequireScope } from "../auth/require-scope.js";
import type { Db } from "../db/client.js";
import { errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import { limitParam } from "../http/query-params.js";
import { recentInteractions } from "../users/user-interactions.js";
import { UserParamsSchema } from "./ingest-schemas.js";

const InteractionSchema = z
  .object({
    event_id: z.string(),
    item_id: z.string(),
    type: z.string(),
    value: z.number().nullable(),
    ts: z.string().openapi({ format: "date-time" }),
    session_id: z.string().nullable(),
    context: z.record(z.string(), z.unknown()).nullable(),
    ingested_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("StoredInteraction");

const ResultSchema = z.object({ user_id: z.string(), interactions: z.array(InteractionSchema) }).openapi("UserInteractions");

const QuerySchema = z.object({ limit: limitParam(1000, 100) });

export function userRoutes(deps: { db: Db; requireScope: RequireScope }): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/users/{userId}/interactions",
      summary: "A user's most recent stored interactions, newest first",
      tags: ["users"],
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { params: UserParamsSchema, query: QuerySchema },
      responses: {
        200: { description: "Interactions", content: { "application/json": { schema: ResultSchema } } },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const { userId } = c.req.valid("param");
      const { limit } = c.req.valid("query");
      const rows = await recentInteractions(deps.db, userId, limit);
      // Reading one person's history is access to personal data, so it is audited like a change.
      await audit(c, "user.read_interactions", await auditUserTarget(c, userId), { returned: rows.length });
      const interactions = rows.map((r) => ({
        event_id: r.eventId,
        item_id: r.itemId,
        type: r.type,
        value: r.value,
        ts: r.ts.toISOString(),
        session_id: r.sessionId,
        context: r.context,
        ingested_at: r.ingestedAt.toISOString(),
      }));
      return c.json({ user_id: userId, interactions }, 200);
    },
  );
  return app;
}
