/** Who a request acts as, as the registry, experiments and webhooks record it: `api-key:<key id>`. */
import type { Context } from "hono";
import type { AppEnv } from "./app-env.js";

export function actorOf(c: Context<AppEnv>): string {
  return `api-key:${c.get("apiKeyId") ?? "unknown"}`;
}
