/** GET /v1/recommendations/{userId} and POST /v1/recommendations/bulk. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { writeServing, type ServingPoint } from "../http/serving-analytics.js";
import { edgeConfig } from "../config.js";
import type { AppEnv } from "../http/app-types.js";
import { costPerBodyItem, requireAccess } from "../http/auth.js";
import {
  BulkRequest,
  BulkResponse,
  MAX_BULK_USERS,
  RecsQuery,
  RecsResponse,
  UserIdParam,
  errorResponses,
  jsonContent,
  keyOrUserToken,
} from "../http/schemas.js";
import { chunk, sendAll, SERVED_PER_MESSAGE } from "../queue/messages.js";
import { HEURISTIC_MODEL_VERSION, recommendForUser, recommendForUsers, type RecsRequest, type RecsResult } from "../recommend/recommend-for-user.js";
import type { ServedList } from "../../models/events.js";
import { creditedExperiment, servedLists } from "../recommend/served-list.js";
import { runningExperiments } from "../experiments/experiment-set.js";
import { targetingRequest } from "../experiments/request-targeting.js";
import { ApiError } from "../../models/api-error.js";
import { scheduleShadow } from "../shadow/shadow-scoring.js";

/** Users whose lists share one features pipeline; their session objects are read in parallel. */
const BULK_CHUNK = 100;
const BULK_CHUNKS_IN_FLIGHT = 2;

const recsRoute = createRoute({
  method: "get",
  path: "/v1/recommendations/{userId}",
  tags: ["recommendations"],
  summary: "Personalised recommendations for one user",
  security: keyOrUserToken,
  middleware: [requireAccess({ scope: "recs:read", user: "param" })] as const,
  request: { params: UserIdParam, query: RecsQuery },
  responses: { 200: jsonContent(RecsResponse, "A ranked list with reasons"), ...errorResponses },
});

const bulkRoute = createRoute({
  method: "post",
  path: "/v1/recommendations/bulk",
  tags: ["recommendations"],
  summary: "Recommendations for up to 1000 users at once (email, push)",
  security: [{ apiKey: [] }],
  middleware: [requireAccess({ scope: "recs:bulk", cost: costPerBodyItem("user_ids", MAX_BULK_USERS) })] as const,
  request: { body: { content: { "application/json": { schema: BulkRequest } }, required: true } },
  responses: { 200: jsonContent(BulkResponse, "One list per user, in request order"), ...errorResponses },
});

export function registerRecommendationRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(recsRoute, async (c) => {
    const { userId } = c.req.valid("param");
    const q = c.req.valid("query");
    if (q.variant !== undefined && q.experiment_id === undefined) {
      throw new ApiError(400, "invalid_request", "variant needs experiment_id", "variant");
    }
    const request: RecsRequest = {
      userId,
      limit: q.limit ?? 10,
      context: q.context ?? null,
      itemId: q.item_id ?? null,
      category: q.category ?? null,
      exclude: q.exclude ?? [],
      experiment: {
        experiments: await runningExperiments(c.env),
        targeting: targetingRequest(c.req.raw, q.context ?? null),
        only: q.experiment_id ?? null,
        forceVariant: q.variant ?? null,
      },
    };
    const requestId = c.get("requestId");
    const started = performance.now();
    const result = await serve(c, request);
    logServed(c, servedLists([{ requestId, request, result, started }], edgeConfig(c.env).featureLogShare));
    writeServing(c.env.SERVING_ANALYTICS, {
      endpoint: "recs",
      modelVersion: result.model_version,
      context: request.context,
      experiment: creditedExperiment(result),
      degraded: result.degraded,
      personalised: result.personalised,
      latencyMs: performance.now() - started,
      items: result.items.length,
      lists: 1,
      degradedLists: result.degraded.length > 0 ? 1 : 0,
    });
    // After the answer, off its path: even the shadow's KV read costs the caller nothing.
    const background = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
    if (result.personalised) {
      background(scheduleShadow({ env: c.env, requestId, request, served: result, forced: q.experiment_id !== undefined, background }));
    }
    const experiment = result.experiment ? { id: result.experiment.experimentId, variant: result.experiment.variant } : null;
    if (experiment) c.header("X-Experiment", `${experiment.id}:${experiment.variant}`);
    return c.json(
      {
        request_id: requestId,
        user_id: userId,
        model_version: result.model_version,
        experiment,
        items: result.items,
        degraded: result.degraded,
        personalised: result.personalised,
      },
      200,
    );
  });

  app.openapi(bulkRoute, async (c) => {
    const body = c.req.valid("json");
    const requestId = c.get("requestId");
    const userIds = [...new Set(body.user_ids)];
    const bulkStarted = performance.now();
    const listChunk = async (chunkIds: string[], k: number) => {
      const started = performance.now();
      const requests = chunkIds.map(
        (userId): RecsRequest => ({ userId, limit: body.limit ?? 10, context: body.context ?? null, itemId: null, category: null, exclude: [] }),
      );
      const lists = await recommendForUsers(c.env, edgeConfig(c.env), c.get("timing"), requests, Date.now(), (p) => c.executionCtx.waitUntil(p));
      return lists.map((result, j) => ({
        user_id: requests[j]!.userId,
        request_id: `${requestId}.${k * BULK_CHUNK + j}`,
        request: requests[j]!,
        started,
        result,
      }));
    };
    // Two chunks in flight: one computes its lists while the other waits on its reads.
    const results = (await inFlight(chunk(userIds, BULK_CHUNK), BULK_CHUNKS_IN_FLIGHT, listChunk)).flat();
    logServed(
      c,
      servedLists(
        results.map((r) => ({ requestId: r.request_id, request: r.request, result: r.result, started: r.started })),
        edgeConfig(c.env).featureLogShare,
      ),
    );
    writeServing(c.env.SERVING_ANALYTICS, bulkPoint(results, body.context ?? null, bulkStarted));
    return c.json(
      {
        request_id: requestId,
        model_version: results[0]?.result.model_version ?? HEURISTIC_MODEL_VERSION,
        experiment: null,
        results: results.map((r) => ({
          user_id: r.user_id,
          request_id: r.request_id,
          items: r.result.items,
          degraded: r.result.degraded,
          personalised: r.result.personalised,
        })),
      },
      200,
    );
  });
}

function serve(c: Context<AppEnv>, request: RecsRequest): Promise<RecsResult> {
  return recommendForUser(c.env, edgeConfig(c.env), c.get("timing"), request, Date.now(), (p) => c.executionCtx.waitUntil(p));
}

/** A bulk call is one data point: Analytics Engine takes at most 250 per invocation, a call serves up to 1,000 lists. */
function bulkPoint(results: ReadonlyArray<{ result: RecsResult }>, context: string | null, started: number): ServingPoint {
  const degraded = new Set(results.flatMap((r) => r.result.degraded));
  return {
    endpoint: "bulk",
    modelVersion: results[0]?.result.model_version ?? HEURISTIC_MODEL_VERSION,
    context,
    experiment: null,
    degraded: [...degraded],
    personalised: results.some((r) => r.result.personalised),
    latencyMs: performance.now() - started,
    items: results.reduce((n, r) => n + r.result.items.length, 0),
    lists: results.length,
    degradedLists: results.filter((r) => r.result.degraded.length > 0).length,
  };
}

/** The served list goes on the queue after the answer, so clicks can be attributed to it later. */
function logServed(c: Context<AppEnv>, lists: ServedList[]): void {
  if (lists.length === 0) return;
  c.executionCtx.waitUntil(
    sendAll(
      c.env.EVENTS_QUEUE,
      chunk(lists, SERVED_PER_MESSAGE).map((served) => ({ kind: "served" as const, served })),
    ).catch((err) => console.warn(JSON.stringify({ level: "warn", msg: "served list not logged", error: String(err) }))),
  );
}

/** `work` over `inputs` with at most `limit` running at once; results in input order. */
async function inFlight<T, R>(inputs: readonly T[], limit: number, work: (input: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(inputs.length);
  let next = 0;
  const lane = async () => {
    while (next < inputs.length) {
      const k = next++;
      out[k] = await work(inputs[k]!, k);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, lane));
  return out;
}
