/** Item-to-item lists and popularity: /v1/items/{id}/similar, /bought-together, /v1/popular. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { keys } from "../../models/feature-keys.js";
import type { AppEnv } from "../http/app-types.js";
import { requireAccess } from "../http/auth.js";
import { ItemIdParam, ItemListQuery, ItemListResponse, PopularQuery, PopularResponse, errorResponses, jsonContent, keyOrUserToken } from "../http/schemas.js";
import { readItemRecords, readNeighbours, readPopular, type Scored } from "../features/feature-reader.js";
import { redisClient } from "../features/redis-client.js";
import { getActiveModel } from "../models/active-model.js";
import { loadSnapshot } from "../recommend/popular-cache.js";
import { HEURISTIC_MODEL_VERSION } from "../recommend/recommend-for-user.js";

const BUDGET_MS = 300;

const itemRoute = (path: string, summary: string) =>
  createRoute({
    method: "get",
    path,
    tags: ["items"],
    summary,
    security: keyOrUserToken,
    middleware: [requireAccess({ scope: "recs:read" })] as const,
    request: { params: ItemIdParam, query: ItemListQuery },
    responses: { 200: jsonContent(ItemListResponse, "Related items, best first"), ...errorResponses },
  });

const similarRoute = itemRoute("/v1/items/{itemId}/similar", "Items viewed together with this one");
const boughtTogetherRoute = itemRoute("/v1/items/{itemId}/bought-together", "Items bought together with this one");

const popularRoute = createRoute({
  method: "get",
  path: "/v1/popular",
  tags: ["items"],
  summary: "Popular items over a decay window (1h is trending now, 7d popular this week)",
  security: keyOrUserToken,
  middleware: [requireAccess({ scope: "recs:read" })] as const,
  request: { query: PopularQuery },
  responses: { 200: jsonContent(PopularResponse, "Items by decayed popularity"), ...errorResponses },
});

export function registerItemRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(similarRoute, async (c) => {
    const { itemId } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    return c.json({ item_id: itemId, ...(await related(c, keys.coView(itemId), itemId, limit ?? 10, "similar")) }, 200);
  });

  app.openapi(boughtTogetherRoute, async (c) => {
    const { itemId } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    return c.json({ item_id: itemId, ...(await related(c, keys.coPurchase(itemId), itemId, limit ?? 10, "boughtTogether")) }, 200);
  });

  app.openapi(popularRoute, async (c) => {
    const q = c.req.valid("query");
    const window = q.window ?? "24h";
    const category = q.category ?? null;
    const limit = q.limit ?? 10;
    const redis = redisClient(c.env, BUDGET_MS);
    try {
      const list = await c.get("timing").measure("features", () => readPopular(redis, window, Date.now(), category, limit * 2 + 10));
      const items = await withRecords(c, list, limit);
      return c.json({ window, category, ...items }, 200);
    } catch {
      const snapshot = await loadSnapshot(c.env);
      const list = (window === "7d" ? snapshot?.popular : snapshot?.trending) ?? [];
      const items = list
        .filter(([id]) => category === null || snapshot?.records[id]?.category === category)
        .filter(([id]) => snapshot?.records[id]?.available !== false)
        .slice(0, limit)
        .map(([item_id, score]) => ({ item_id, score: round(score), ...describe(snapshot?.records[item_id]) }));
      return c.json({ window, category, items, degraded: snapshot ? ["features"] : ["features", "popular_fallback"] }, 200);
    }
  });
}

/**
 * The active model's published neighbours (co-occurrence, content similarity for sparse
 * items) merged with the real-time counts from Redis, each normalised by its maximum;
 * real-time counts weigh half so the published list leads but an item trending together
 * with this one since the last training still shows up. No model: real-time only.
 */
async function related(c: Context<AppEnv>, key: string, itemId: string, limit: number, kind: "similar" | "boughtTogether") {
  const model = await getActiveModel(c.env, Date.now(), (p) => c.executionCtx.waitUntil(p)).catch(() => null);
  const published = model?.[kind].get(itemId) ?? [];
  const degraded: string[] = [];
  let realtime: Scored = [];
  try {
    realtime = await c.get("timing").measure("features", () => readNeighbours(redisClient(c.env, BUDGET_MS), key, limit * 2 + 10));
  } catch {
    degraded.push("features");
  }
  const merged = mergeLists([
    [published, 1],
    [realtime, REALTIME_WEIGHT],
  ]).filter(([id]) => id !== itemId);
  const model_version = model?.version ?? HEURISTIC_MODEL_VERSION;
  if (merged.length === 0) return { model_version, items: [], degraded };
  const listed = await withRecords(c, merged, limit);
  return { model_version, items: listed.items, degraded: [...degraded, ...listed.degraded] };
}

const REALTIME_WEIGHT = 0.5;

function mergeLists(lists: ReadonlyArray<readonly [ReadonlyArray<readonly [string, number]>, number]>): Scored {
  const scores = new Map<string, number>();
  for (const [list, weight] of lists) {
    const max = list.reduce((m, [, v]) => Math.max(m, v), 0);
    if (max <= 0) continue;
    for (const [id, v] of list) scores.set(id, (scores.get(id) ?? 0) + (weight * v) / max);
  }
  return [...scores].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** Drops unavailable items and adds titles; without the catalog the list is served as is. */
async function withRecords(c: Context<AppEnv>, list: Scored, limit: number) {
  try {
    const records = await c.get("timing").measure("catalog", () =>
      readItemRecords(
        redisClient(c.env, BUDGET_MS),
        list.map(([id]) => id),
      ),
    );
    const items = list
      .filter(([id]) => records.get(id)?.available !== false)
      .slice(0, limit)
      .map(([item_id, score]) => ({ item_id, score: round(score), ...describe(records.get(item_id)) }));
    return { items, degraded: [] as string[] };
  } catch {
    return { items: list.slice(0, limit).map(([item_id, score]) => ({ item_id, score: round(score) })), degraded: ["catalog"] };
  }
}

function describe(rec: { title: string; category: string | null } | undefined) {
  return rec ? { title: rec.title, category: rec.category } : {};
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
