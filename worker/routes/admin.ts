/**
 * Backend-to-edge administration, authenticated with EDGE_ADMIN_TOKEN: the backend
 * publishes the hashed API key set here.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { KeySetSchema } from "../../models/api-keys.js";
import type { AppEnv } from "../http/app-types.js";
import { KEYSET_KV_KEY, forgetKeySet, requireAdminToken } from "../http/auth.js";
import { readJson, validationError } from "../http/errors.js";

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>): void {
  app.put("/v1/admin/keys", requireAdminToken(), async (c) => {
    const parsed = KeySetSchema.safeParse(await readJson(c));
    if (!parsed.success) throw validationError(parsed.error);
    await c.env.CONFIG.put(KEYSET_KV_KEY, JSON.stringify(parsed.data));
    forgetKeySet();
    return c.json({ keys: parsed.data.keys.length }, 200);
  });
}
