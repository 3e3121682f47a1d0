/**
 * `GET /api/v1/interactions/stats`: how many interactions the system of record holds and
 * when the last one was stored. The live intake answers 202 once events are queued, not
 * stored; a client that sent N accepted events (the `accepted` of its answers) knows they
 * are all stored when `stored` has grown by N, and can then train on them.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { count, max } from "drizzle-orm";
import type { RequireScope } from "../auth/require-scope.js";
import type { Db } from "../db/client.js";
import { interactions } from "../db/schema.js";
import { errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";

export const InteractionStatsSchema = z
  .object({
    stored: z.number().int().openapi({ description: "Interactions in Postgres, from the live intake and imports" }),
    newest_event_at: z.string().nullable().openapi({ description: "The latest event time (ts) stored; null when empty" }),
    last_stored_at: z.string().nullable().openapi({ description: "When the most recent row was written; null when empty" }),
  })
  .openapi("InteractionStats");

export function interactionStatsRoutes(deps: { db: Db; requireScope: RequireScope }): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/interactions/stats",
      summary: "How many interactions are stored, and when the last one was",
      description:
        "`POST /v1/events` answers once events are queued; they reach Postgres shortly after. Everything sent is stored when `stored` has grown by the sum of the `accepted` counts.",
      tags: ["interactions"],
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      responses: {
        200: { description: "Counts", content: { "application/json": { schema: InteractionStatsSchema } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const [row] = await deps.db.select({ stored: count(), newest: max(interactions.ts), last: max(interactions.ingestedAt) }).from(interactions);
      return c.json({ stored: row?.stored ?? 0, newest_event_at: row?.newest?.toISOString() ?? null, last_stored_at: row?.last?.toISOString() ?? null }, 200);
    },
  );
  return app;
}
