/**
 * Backend-to-edge control of the shadow rollout (models/shadow.ts), authenticated with
 * EDGE_ADMIN_TOKEN:
 *   PUT    /v1/admin/models/shadow   {version, sample_percent}: start or change
 *   DELETE /v1/admin/models/shadow   stop
 *   GET    /v1/admin/models/shadow   the configuration in force
 * The version must have a manifest here already (published like any other); it is
 * loaded lazily by the first sampled request, so a start costs no request any latency.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { MANIFEST_FILE, artifactKey } from "../../models/model-manifest.js";
import { SHADOW_KV_KEY, ShadowConfigSchema } from "../../models/shadow.js";
import type { AppEnv } from "../http/app-types.js";
import { requireAdminToken } from "../http/auth.js";
import { ApiError, readJson, validationError } from "../http/errors.js";
import { forgetShadowConfig } from "../shadow/shadow-config.js";

export function registerAdminShadowRoutes(app: OpenAPIHono<AppEnv>): void {
  app.put("/v1/admin/models/shadow", requireAdminToken(), async (c) => {
    const parsed = ShadowConfigSchema.safeParse(await readJson(c));
    if (!parsed.success) throw validationError(parsed.error);
    const { version } = parsed.data;
    if (!(await c.env.ARTIFACTS.head(artifactKey(version, MANIFEST_FILE)))) {
      throw new ApiError(404, "not_found", `version: ${version} has no manifest on this edge; publish it first`, "version");
    }
    await c.env.CONFIG.put(SHADOW_KV_KEY, JSON.stringify(parsed.data));
    forgetShadowConfig();
    return c.json(parsed.data, 200);
  });

  app.delete("/v1/admin/models/shadow", requireAdminToken(), async (c) => {
    await c.env.CONFIG.delete(SHADOW_KV_KEY);
    forgetShadowConfig();
    return c.json({ shadow: null }, 200);
  });

  app.get("/v1/admin/models/shadow", requireAdminToken(), async (c) => {
    return c.json({ shadow: (await c.env.CONFIG.get(SHADOW_KV_KEY, "json")) ?? null }, 200);
  });
}
