/**
 * Operational endpoints: liveness, readiness (Postgres and the Redis REST endpoint,
 * each with its own status) and Prometheus metrics.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { describeError } from "../describe-error.js";
import type { AppEnv } from "../http/app-env.js";
import { openApiApp } from "../http/openapi-app.js";
import type { BackendMetrics } from "../metrics/backend-metrics.js";

export type DependencyCheck = () => Promise<void>;

export interface OpsRouteDeps {
  checks: Record<string, DependencyCheck>;
  metrics: BackendMetrics;
  checkTimeoutMs?: number;
}

const CheckSchema = z.object({
  status: z.enum(["ok", "error"]),
  ms: z.number(),
  error: z.string().optional(),
});

const ReadySchema = z.object({ status: z.enum(["ready", "unavailable"]), checks: z.record(z.string(), CheckSchema) }).openapi("Readiness");

export function opsRoutes(deps: OpsRouteDeps): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  const timeoutMs = deps.checkTimeoutMs ?? 2000;

  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      summary: "Liveness: the process answers",
      tags: ["ops"],
      responses: {
        200: { description: "Alive", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } },
      },
    }),
    (c) => c.json({ status: "ok" as const }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/health/ready",
      summary: "Readiness: Postgres and the feature store answer",
      tags: ["ops"],
      responses: {
        200: { description: "Ready", content: { "application/json": { schema: ReadySchema } } },
        503: { description: "A dependency is down", content: { "application/json": { schema: ReadySchema } } },
      },
    }),
    async (c) => {
      const entries = await Promise.all(Object.entries(deps.checks).map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const));
      const checks = Object.fromEntries(entries);
      const ready = entries.every(([, r]) => r.status === "ok");
      return ready ? c.json({ status: "ready" as const, checks }, 200) : c.json({ status: "unavailable" as const, checks }, 503);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics",
      tags: ["ops"],
      responses: { 200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } } },
    }),
    async (c) => c.text(await deps.metrics.registry.metrics(), 200, { "content-type": deps.metrics.registry.contentType }),
  );

  return app;
}

async function runCheck(check: DependencyCheck, timeoutMs: number): Promise<z.infer<typeof CheckSchema>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: "ok", ms: elapsed(started) };
  } catch (error) {
    return { status: "error", ms: elapsed(started), error: describeError(error) };
  } finally {
    clearTimeout(timer);
  }
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;
