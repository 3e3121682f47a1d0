/**
 * requireAccess: the one gate of the public /v1 routes. It authenticates the caller
 * (API key or end-user token), checks what that caller may do on this route, puts the
 * Principal on the context and charges the caller's rate limit — in that order, so a
 * refused request costs nothing and a request over the limit does no work.
 *
 * API keys act for anyone, within their scopes. End-user tokens carry recs:read and
 * events:write implicitly, and only for their own `sub`: a route that names a user
 * says where (`user: "param"` for the {userId} path parameter, `user: "body"` for
 * `user_id` / `events[i].user_id` in the JSON body). Everything else (bulk lists,
 * erasure, publishing) needs an API key with the scope.
 */
import type { Context, MiddlewareHandler } from "hono";
import { hasScope, type Scope } from "../../models/api-keys.js";
import type { AppEnv, Principal } from "../http/app-types.js";
import { ApiError } from "../http/errors.js";
import { API_KEY_PREFIX, findApiKey } from "./api-key.js";
import { looksLikeJwt, TokenError, verifyEndUserToken } from "./end-user-token.js";
import { enforceRateLimit } from "./rate-limit.js";

/** What an end-user token may do without any key: read its own lists and send its own events. */
export const END_USER_SCOPES: readonly Scope[] = ["recs:read", "events:write"];

export interface AccessRule {
  scope: Scope;
  /** Where the user an end-user token must be is named; absent: any valid credential with the scope. */
  user?: "param" | "body";
  /** Tokens the request takes from the caller's rate limit (default 1); bulk lists charge per user. */
  cost?: (c: Context<AppEnv>) => number | Promise<number>;
}

export function requireAccess(rule: AccessRule): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await authenticate(c);
    if (principal.kind === "key") {
      if (!hasScope(principal.scopes, rule.scope)) {
        throw new ApiError(403, "forbidden", `this key lacks the ${rule.scope} scope`, "authorization");
      }
    } else {
      if (!END_USER_SCOPES.includes(rule.scope)) {
        throw new ApiError(403, "forbidden", `end-user tokens cannot call this route; it needs an API key with the ${rule.scope} scope`, "authorization");
      }
      if (rule.user === "param") checkParamUser(c, principal.sub);
      if (rule.user === "body") await checkBodyUsers(c, principal.sub);
    }
    c.set("principal", principal);
    await enforceRateLimit(c, principal, rule.cost ? await rule.cost(c) : 1);
    await next();
  };
}

/** Kept for routes written before end-user tokens: a key scope, no user binding. */
export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return requireAccess({ scope });
}

async function authenticate(c: Context<AppEnv>): Promise<Principal> {
  const apiKeyHeader = c.req.header("x-api-key")?.trim();
  if (apiKeyHeader) return keyPrincipal(c, apiKeyHeader);
  const authorization = c.req.header("authorization");
  if (!authorization) {
    throw new ApiError(401, "unauthorized", "missing credential: send Authorization: Bearer <API key or token>", "authorization", BEARER_CHALLENGE);
  }
  const m = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!m) throw new ApiError(401, "unauthorized", "Authorization must be `Bearer <API key or token>`", "authorization", BEARER_CHALLENGE);
  const credential = m[1]!;
  if (credential.startsWith(API_KEY_PREFIX)) return keyPrincipal(c, credential);
  if (!looksLikeJwt(credential)) {
    throw new ApiError(401, "unauthorized", "unrecognised credential: expected an API key (rk_...) or a JWT", "authorization", BEARER_CHALLENGE);
  }
  try {
    const user = await verifyEndUserToken(c.env, credential);
    return { kind: "user", sub: user.sub, anonymous: user.anonymous };
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    if (err.reason === "not_configured" || err.reason === "jwks_unavailable") {
      throw new ApiError(503, err.reason, err.message, "authorization", { "Retry-After": "30" });
    }
    // RFC 6750: the challenge tells a client its token, not its request, is the problem.
    throw new ApiError(401, err.reason, err.message, "authorization", {
      "WWW-Authenticate": `Bearer error="invalid_token", error_description="${err.message.replaceAll('"', "'")}"`,
    });
  }
}

const BEARER_CHALLENGE = { "WWW-Authenticate": 'Bearer realm="edge-recs"' };

async function keyPrincipal(c: Context<AppEnv>, key: string): Promise<Principal> {
  const found = await findApiKey(c.env, key);
  return { kind: "key", key_id: found.id, scopes: found.scopes };
}

function checkParamUser(c: Context<AppEnv>, sub: string): void {
  if (c.req.param("userId") !== sub) {
    throw new ApiError(403, "forbidden", "userId: an end-user token may only act for its own user (sub)", "userId");
  }
}

/**
 * Reads the JSON body the handler reads next (Hono caches it). A body that is not JSON
 * is left for the handler to refuse with its own 4xx; only user ids actually present
 * are compared, since an event without one is rejected by intake anyway.
 */
async function checkBodyUsers(c: Context<AppEnv>, sub: string): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    return;
  }
  if (typeof body !== "object" || body === null) return;
  const { events, user_id } = body as { events?: unknown; user_id?: unknown };
  if (Array.isArray(events)) {
    events.forEach((event: unknown, i) => {
      if (typeof event === "object" && event !== null && "user_id" in event && event.user_id !== sub) {
        throw new ApiError(403, "forbidden", `events[${i}].user_id: an end-user token may only send its own events (sub)`, `events[${i}].user_id`);
      }
    });
  }
  if (user_id !== undefined && user_id !== sub) {
    throw new ApiError(403, "forbidden", "user_id: an end-user token may only act for its own user (sub)", "user_id");
  }
}

/**
 * A cost of one per distinct entry of the body's array `field` (bulk lists charge per
 * user). Read before validation, so a body that is not as expected costs one and the
 * validator then refuses it.
 */
export function costPerBodyItem(field: string, max: number): (c: Context<AppEnv>) => Promise<number> {
  return async (c) => {
    try {
      const body: unknown = JSON.parse(await c.req.text());
      const items = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[field] : undefined;
      return Array.isArray(items) ? Math.min(max, Math.max(1, new Set(items).size)) : 1;
    } catch {
      return 1;
    }
  };
}
