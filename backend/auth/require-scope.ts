/**
 * Hono middleware guarding the public API with API keys: 401 when the key is missing
 * or not valid (unknown, revoked, expired, a local key in production), 403 when it is
 * valid but lacks the scope. The verified key id is put on the context for logs.
 */
import type { MiddlewareHandler } from "hono";
import { hasScope, type Scope } from "../../models/api-keys.js";
import { ApiError } from "../http/api-error.js";
import type { ApiKeyVerifier } from "./api-key-verifier.js";
import { bearerToken } from "./bearer.js";

export interface AuthVariables {
  apiKeyId?: string;
}

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="recs"' };

const REASONS = {
  unknown: "API key is not valid",
  revoked: "API key has been revoked",
  expired: "API key has expired",
  local_key_in_production: "local development keys are refused in production",
} as const;

export type RequireScope = (scope: Scope) => MiddlewareHandler<{ Variables: AuthVariables }>;

export function createScopeGuard(verifier: ApiKeyVerifier): RequireScope {
  return (scope) => async (c, next) => {
    const key = bearerToken(c.req.header("authorization"));
    if (key === null) {
      throw new ApiError(401, "unauthorized", "missing API key: send Authorization: Bearer <key>", undefined, CHALLENGE);
    }
    const result = await verifier.verify(key);
    if (!result.ok) throw new ApiError(401, "unauthorized", REASONS[result.reason], undefined, CHALLENGE);
    if (!hasScope(result.scopes, scope)) {
      throw new ApiError(403, "forbidden", `API key lacks the "${scope}" scope`);
    }
    c.set("apiKeyId", result.keyId);
    await next();
  };
}
