/**
 * DELETE /v1/users/{userId}: erase a user's data from the session object, the feature
 * store and the backend. Each store is attempted; the answer says what was erased and
 * which stores could not be reached (the caller retries, erasure is idempotent).
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { keys } from "../../models/feature-keys.js";
import type { AppEnv } from "../http/app-types.js";
import { requireAccess } from "../http/auth.js";
import { EraseResponse, UserIdParam, errorResponses, jsonContent } from "../http/schemas.js";
import { redisClient } from "../features/redis-client.js";
import { sessionStub } from "../session/session-store.js";

const eraseRoute = createRoute({
  method: "delete",
  path: "/v1/users/{userId}",
  tags: ["users"],
  summary: "Erase everything held about a user",
  security: [{ apiKey: [] }],
  middleware: [requireAccess({ scope: "admin" })] as const,
  request: { params: UserIdParam },
  responses: { 200: jsonContent(EraseResponse, "What was erased, per store"), ...errorResponses },
});

export function registerUserRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(eraseRoute, async (c) => {
    const { userId } = c.req.valid("param");
    const erased: Record<string, number | boolean | string> = {};
    const degraded: string[] = [];
    const attempt = async (store: string, fn: () => Promise<number | boolean>) => {
      try {
        erased[store] = await fn();
      } catch (err) {
        degraded.push(store);
        console.warn(JSON.stringify({ level: "warn", msg: `erase in ${store} failed`, error: String(err) }));
      }
    };
    await Promise.all([
      attempt("session", async () => {
        await sessionStub(c.env, userId).erase();
        return true;
      }),
      attempt("features", () => redisClient(c.env, 2_000).del(keys.userRecent(userId), keys.userPurchases(userId))),
      attempt("backend", async () => {
        const res = await fetch(new URL(`/internal/v1/users/${encodeURIComponent(userId)}`, c.env.BACKEND_URL), {
          method: "DELETE",
          headers: { authorization: `Bearer ${c.env.BACKEND_TOKEN ?? ""}` },
          signal: AbortSignal.timeout(5_000),
        });
        if (!res.ok) throw new Error(`backend answered ${res.status}`);
        await res.body?.cancel();
        return true;
      }),
    ]);
    return c.json({ user_id: userId, erased, degraded }, 200);
  });
}
