/**
 * Backend-to-edge administration, authenticated with EDGE_ADMIN_TOKEN: the backend
 * publishes the hashed API key set and the running experiments here.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { KeySetSchema } from "../../models/api-keys.js";
import type { AppEnv } from "../http/app-types.js";
import { KEYSET_KV_KEY, forgetKeySet, requireAdminToken } from "../http/auth.js";
import { readJson, validationError } from "../http/errors.js";
import { EXPERIMENTS_KV_KEY, ExperimentSetSchema } from "../../models/experiments/experiment.js";
import { forgetExperiments } from "../experiments/experiment-set.js";

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>): void {
  app.put("/v1/admin/keys", requireAdminToken(), async (c) => {
    const parsed = KeySetSchema.safeParse(await readJson(c));
    if (!parsed.success) throw validationError(parsed.error);
    await c.env.CONFIG.put(KEYSET_KV_KEY, JSON.stringify(parsed.data));
    forgetKeySet();
    return c.json({ keys: parsed.data.keys.length }, 200);
  });

  // The whole running set at once: one KV key, so an isolate never sees half a publish.
  app.put("/v1/admin/experiments", requireAdminToken(), async (c) => {
    const parsed = ExperimentSetSchema.safeParse(await readJson(c));
    if (!parsed.success) throw validationError(parsed.error);
    await c.env.CONFIG.put(EXPERIMENTS_KV_KEY, JSON.stringify(parsed.data));
    forgetExperiments();
    return c.json({ experiments: parsed.data.experiments.length, published_at: parsed.data.published_at }, 200);
  });

  app.get("/v1/admin/experiments", requireAdminToken(), async (c) => {
    return c.json((await c.env.CONFIG.get(EXPERIMENTS_KV_KEY, "json")) ?? { experiments: [], published_at: null }, 200);
  });
}
