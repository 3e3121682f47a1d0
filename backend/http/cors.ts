/** CORS for browsers calling the backend directly (admin tools): exact-origin allow-list. */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

export function corsAllowList(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  return cors({
    origin: (origin) => (allowed.has("*") ? "*" : allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
    exposeHeaders: ["X-Request-Id"],
    maxAge: 600,
  });
}
