/**
 * POST /v1/sessions: an anonymous session token for a browser or app without a login.
 * No credential is needed; an existing session token in Authorization is refreshed
 * (same session id, new expiry), so an anonymous visitor keeps their history.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/app-types.js";
import { ApiError } from "../http/errors.js";
import { ErrorSchema, jsonContent } from "../http/schemas.js";
import { API_KEY_PREFIX } from "../auth/api-key.js";
import { TokenError, verifyEndUserToken } from "../auth/end-user-token.js";
import { enforceNamedLimit, rateLimits } from "../auth/rate-limit.js";
import { issueSessionToken, newSessionId } from "../auth/session-token.js";

/**
 * How long after expiry a session token may still be refreshed: an app resumed the next
 * day keeps its anonymous session. Such a token grants nothing else once expired.
 */
export const REFRESH_GRACE_SECONDS = 24 * 3600;

const SessionResponse = z
  .object({
    session_id: z.string().openapi({ example: "anon_3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b" }),
    token: z.string().openapi({ description: "Send as `Authorization: Bearer <token>`; acts as user `session_id`" }),
    expires_at: z.string().openapi({ example: "2026-01-01T12:00:00.000Z" }),
  })
  .openapi("Session");

const sessionRoute = createRoute({
  method: "post",
  path: "/v1/sessions",
  tags: ["sessions"],
  summary: "Start (or refresh) an anonymous session and get its token",
  description:
    "No credential needed. To refresh, send the current session token as `Authorization: Bearer <token>` " +
    `(accepted up to ${REFRESH_GRACE_SECONDS / 3600} h after it expired); the session id stays the same.`,
  security: [{}, { endUserToken: [] }],
  responses: {
    201: jsonContent(SessionResponse, "A session token for the anonymous user `session_id`"),
    400: jsonContent(ErrorSchema, "Authorization holds something other than a session token"),
    401: jsonContent(ErrorSchema, "The session token to refresh is invalid; `code` names the failed check"),
    429: jsonContent(ErrorSchema, "Too many sessions from this client address"),
    503: jsonContent(ErrorSchema, "SESSION_TOKEN_SECRET is not configured (production)"),
  },
});

export function registerSessionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(sessionRoute, async (c) => {
    // Per client address, since nothing else identifies the caller: minting sessions
    // must not be a way around the per-user limit.
    const ip = c.req.header("cf-connecting-ip");
    if (ip) {
      const limits = rateLimits(c.env);
      await enforceNamedLimit(c, `ip:${ip}`, limits.userPerWindow, limits.windowMs, 1);
    }
    const sessionId = await refreshedSessionId(c.req.header("authorization"), c.env);
    const issued = await issueSessionToken(c.env, sessionId ?? newSessionId(), Date.now());
    if (!issued) throw new ApiError(503, "not_configured", "SESSION_TOKEN_SECRET is not set on this edge");
    c.header("Cache-Control", "no-store");
    return c.json(issued, 201);
  });
}

async function refreshedSessionId(authorization: string | undefined, env: AppEnv["Bindings"]): Promise<string | null> {
  if (!authorization) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!m || m[1]!.startsWith(API_KEY_PREFIX)) {
    throw new ApiError(400, "invalid_request", "authorization: only a session token can be refreshed; send no credential to start a session", "authorization");
  }
  try {
    return (await verifyEndUserToken(env, m[1]!, { sessionOnly: true, leewaySeconds: REFRESH_GRACE_SECONDS })).sub;
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    if (err.reason === "not_configured") throw new ApiError(503, "not_configured", err.message);
    throw new ApiError(401, err.reason, err.message, "authorization");
  }
}
