/**
 * DELETE /v1/users/{userId}: erase a user's data from every store and leave tombstones
 * (privacy/erase-everywhere.ts). Each store is attempted; the answer says what was erased
 * per store and which stores could not be reached (the caller retries, erasure is
 * idempotent).
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/app-types.js";
import { requireAccess } from "../http/auth.js";
import { ApiError } from "../http/errors.js";
import { EraseResponse, UserIdParam, errorResponses, jsonContent } from "../http/schemas.js";
import { eraseEverywhere } from "../privacy/erase-everywhere.js";
import { hashUser } from "../privacy/user-hash-key.js";

const eraseRoute = createRoute({
  method: "delete",
  path: "/v1/users/{userId}",
  tags: ["users"],
  summary: "Erase everything held about a user",
  description: [
    "Erases the user's session object (history, assignments, consent), their Redis keys, their Postgres rows",
    "(interactions, feedback, served and shadow lists, user row) and their rows in dead-lettered batches, and writes",
    "tombstones (keyed hash of the id, erased_at) in the session object, Redis (14 days) and Postgres (kept): events,",
    "feedback and served lists the edge accepted at or before the erasure are dropped wherever they arrive later.",
    "Stores that could not be reached are listed in `degraded`; call again (idempotent). Events sent after the erasure",
    "start a new, empty history.",
  ].join(" "),
  security: [{ apiKey: [] }],
  middleware: [requireAccess({ scope: "admin" })] as const,
  request: { params: UserIdParam },
  responses: { 200: jsonContent(EraseResponse, "What was erased, per store; tombstones written; unreachable stores"), ...errorResponses },
});

export function registerUserRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(eraseRoute, async (c) => {
    const { userId } = c.req.valid("param");
    let userHash: string;
    try {
      userHash = await hashUser(c.env, userId);
    } catch {
      throw new ApiError(503, "not_configured", "USER_ID_HASH_KEY is not set; erasure needs it for its tombstones");
    }
    return c.json(await eraseEverywhere(c.env, userId, userHash, Date.now()), 200);
  });
}
