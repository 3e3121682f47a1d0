/**
 * GET /health: liveness, the model version this isolate serves and a quick look at Redis.
 * GET /health/ready: readiness, each part checked within a budget — the active model
 * loaded (when one is active), KV and R2 reachable, Redis answering — 503 naming the
 * degraded parts when one fails. The edge still serves then (degraded); readiness tells
 * a deploy or a probe that it is not at full strength.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ACTIVE_POINTER_KEY, ActivePointerSchema } from "../../models/model-manifest.js";
import type { AppEnv } from "../http/app-types.js";
import { redisClient } from "../features/redis-client.js";
import { getActiveModel, loadedModelInfo } from "../models/active-model.js";
import { HEURISTIC_MODEL_VERSION } from "../recommend/recommend-for-user.js";
import { withBudget } from "../session/session-store.js";

const CHECK_BUDGET_MS = 1_000;
/** A cold isolate may still be loading the active version; readiness waits this long for it. */
const MODEL_BUDGET_MS = 5_000;

type Check = { status: "ok" | "unreachable" | "failed"; detail?: string };

async function check(run: () => Promise<unknown>): Promise<Check> {
  try {
    await withBudget(run(), CHECK_BUDGET_MS);
    return { status: "ok" };
  } catch (err) {
    return { status: "unreachable", detail: err instanceof Error ? err.message : String(err) };
  }
}

/** The version this isolate serves, loading the active one if need be (heuristic-v1 when none). */
async function servedVersion(c: Context<AppEnv>, budgetMs: number): Promise<string> {
  const model = await withBudget(
    getActiveModel(c.env, Date.now(), (p) => c.executionCtx.waitUntil(p)),
    budgetMs,
  ).catch(() => null);
  return model?.version ?? HEURISTIC_MODEL_VERSION;
}

async function modelCheck(c: Context<AppEnv>): Promise<Check & { active: string | null; serving: string }> {
  let active: string | null;
  try {
    const raw = await withBudget(c.env.CONFIG.get(ACTIVE_POINTER_KEY, "json"), CHECK_BUDGET_MS);
    const parsed = ActivePointerSchema.safeParse(raw);
    active = parsed.success ? parsed.data.version : null;
  } catch {
    return {
      status: "unreachable",
      detail: "the active pointer cannot be read from KV",
      active: null,
      serving: loadedModelInfo()?.version ?? HEURISTIC_MODEL_VERSION,
    };
  }
  const serving = await servedVersion(c, MODEL_BUDGET_MS);
  if (active === null || serving === active) return { status: "ok", active, serving };
  return { status: "failed", detail: `version ${active} is active but this isolate serves ${serving}: it did not load (see the logs)`, active, serving };
}

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>): void {
  app.get("/health", async (c) => {
    const [redis, model_version] = await Promise.all([
      redisClient(c.env, 500)
        .ping()
        .then(() => "ok")
        .catch(() => "unreachable"),
      servedVersion(c, CHECK_BUDGET_MS),
    ]);
    // The edge always answers (degraded if need be), so health is 200 with details.
    return c.json({ status: "ok", model_version, environment: c.env.ENVIRONMENT, dependencies: { redis } }, 200);
  });

  app.get("/health/ready", async (c) => {
    const [model, kv, r2, redis] = await Promise.all([
      modelCheck(c),
      check(() => c.env.CONFIG.get("health:probe")),
      check(() => c.env.ARTIFACTS.head("health/probe")),
      check(() => redisClient(c.env, CHECK_BUDGET_MS).ping()),
    ]);
    const checks = { model, kv, r2, redis };
    const degraded = Object.entries(checks)
      .filter(([, v]) => v.status !== "ok")
      .map(([k]) => k);
    const body = { status: degraded.length ? "degraded" : "ready", model_version: model.serving, degraded, checks };
    return c.json(body, degraded.length ? 503 : 200);
  });
}
