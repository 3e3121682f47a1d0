/** GET /health: liveness plus a quick look at the stores the edge depends on. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/app-types.js";
import { redisClient } from "../features/redis-client.js";
import { HEURISTIC_MODEL_VERSION } from "../recommend/recommend-for-user.js";

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>): void {
  app.get("/health", async (c) => {
    const redis = await redisClient(c.env, 500)
      .ping()
      .then(() => "ok")
      .catch(() => "unreachable");
    // The edge always answers (degraded if need be), so health is 200 with details.
    return c.json({ status: "ok", model_version: HEURISTIC_MODEL_VERSION, environment: c.env.ENVIRONMENT, dependencies: { redis } }, 200);
  });
}
