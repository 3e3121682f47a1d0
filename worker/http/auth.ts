/**
 * API key checks without a backend round trip: the backend publishes the hashed key
 * set to KV (`PUT /v1/admin/keys`), and each isolate keeps a copy for at most
 * KEYSET_TTL_MS, so a revocation takes effect within that time.
 */
import type { MiddlewareHandler } from "hono";
import { KeySetSchema, LOCAL_KEY_PREFIX, hasScope, hashApiKey, type PublishedKey, type Scope } from "../../models/api-keys.js";
import type { Env } from "../env.js";
import type { AppEnv } from "./app-types.js";
import { ApiError } from "./errors.js";

export const KEYSET_KV_KEY = "auth:keyset";
export const KEYSET_TTL_MS = 30_000;

let cached: { at: number; byHash: Map<string, PublishedKey> } | null = null;

/** Tests and the admin endpoint drop the isolate's copy so a change is seen at once. */
export function forgetKeySet(): void {
  cached = null;
}

async function keyIndex(env: Env): Promise<Map<string, PublishedKey>> {
  if (cached && Date.now() - cached.at < KEYSET_TTL_MS) return cached.byHash;
  const raw = await env.CONFIG.get(KEYSET_KV_KEY, "json");
  const parsed = KeySetSchema.safeParse(raw ?? { keys: [] });
  const byHash = new Map((parsed.success ? parsed.data.keys : []).map((k) => [k.hash, k]));
  cached = { at: Date.now(), byHash };
  return byHash;
}

function presentedKey(authorization: string | undefined, apiKeyHeader: string | undefined): string | null {
  if (apiKeyHeader) return apiKeyHeader.trim();
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  return m ? m[1]! : null;
}

export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = presentedKey(c.req.header("authorization"), c.req.header("x-api-key"));
    if (!key) throw new ApiError(401, "unauthorized", "missing API key: send Authorization: Bearer <key>", "authorization");
    if (key.length > 256) throw new ApiError(401, "unauthorized", "invalid API key", "authorization");
    if (c.env.ENVIRONMENT === "production" && key.startsWith(LOCAL_KEY_PREFIX)) {
      throw new ApiError(401, "unauthorized", "local development keys are refused in production", "authorization");
    }
    const found = (await keyIndex(c.env)).get(await hashApiKey(key));
    if (!found || (found.expires_at !== null && found.expires_at <= Date.now())) {
      throw new ApiError(401, "unauthorized", "invalid or expired API key", "authorization");
    }
    if (!hasScope(found.scopes, scope)) {
      throw new ApiError(403, "forbidden", `this key lacks the ${scope} scope`, "authorization");
    }
    c.set("principal", { key_id: found.id, scopes: found.scopes });
    await next();
  };
}

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
