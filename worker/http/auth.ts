/**
 * Credentials at the edge. Public routes use requireAccess (../auth/access.ts): API keys
 * and end-user tokens. Backend-to-edge administration uses requireAdminToken below.
 */
import type { MiddlewareHandler } from "hono";
import { hashApiKey } from "../../models/api-keys.js";
import type { AppEnv } from "./app-types.js";
import { ApiError } from "./errors.js";

export { KEYSET_KV_KEY, KEYSET_TTL_MS, forgetKeySet } from "../auth/api-key.js";
export { costPerBodyItem, requireAccess, requireScope } from "../auth/access.js";

/** Backend-to-edge calls carry the shared EDGE_ADMIN_TOKEN secret. */
export function requireAdminToken(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = c.env.EDGE_ADMIN_TOKEN;
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
    if (!expected) throw new ApiError(503, "not_configured", "EDGE_ADMIN_TOKEN is not set on this edge");
    if (!m || !(await timingSafeEqual(m[1]!, expected))) {
      throw new ApiError(401, "unauthorized", "invalid admin token", "authorization");
    }
    await next();
  };
}

async function timingSafeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([hashApiKey(a), hashApiKey(b)]);
  let diff = 0;
  for (let i = 0; i < ha.length; i++) diff |= ha.charCodeAt(i) ^ hb.charCodeAt(i);
  return diff === 0;
}
