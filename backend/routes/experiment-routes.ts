/**
 * Experiments API (scope `experiments:write`): create drafts, change them, start and stop them (which
 * publishes the running set to the edge), and read the results.
 *
 * Validation problems come back together: a 400 (or a 409 for a clash with the running
 * experiments) carries `error.problems`, every problem with its field, besides the usual
 * `error.field` naming the first one.
 */
import { createRoute, type Hook, type OpenAPIHono } from "@hono/zod-openapi";
import type { ExperimentProblem } from "../../models/experiments/experiment.js";
import { audit } from "../audit/audit-trail.js";
import type { RequireScope } from "../auth/require-scope.js";
import type { Db } from "../db/client.js";
import { createExperiment, ExperimentError, startExperiment, stopExperiment, updateExperiment } from "../experiments/experiment-lifecycle.js";
import type { ExperimentSetPublisher } from "../experiments/experiment-publisher.js";
import { getExperiment, listExperimentEvents, listExperiments } from "../experiments/experiment-store.js";
import { experimentResults } from "../experiments/results.js";
import { resultsTimeline } from "../experiments/results-timeline.js";
import { ApiError, errorResponses, type ErrorBody } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import { validationHook } from "../http/validation-hook.js";
import { actorOf } from "../http/request-actor.js";
import {
  ExperimentCreateSchema,
  ExperimentDetailSchema,
  ExperimentErrorSchema,
  ExperimentJsonSchema,
  ExperimentListQuerySchema,
  ExperimentListSchema,
  ExperimentParamsSchema,
  ExperimentResultsSchema,
  ExperimentStartedSchema,
  ExperimentTimelineSchema,
  ExperimentUpdateSchema,
  TimelineQuerySchema,
  toExperimentEventJson,
  toExperimentJson,
  toPlacementJson,
  toResultsJson,
} from "./experiment-schemas.js";

export interface ExperimentRouteDeps {
  db: Db;
  publisher: ExperimentSetPublisher;
  requireScope: RequireScope;
  /** ATTRIBUTION_WINDOW_HOURS. */
  attributionWindowHours: number;
}

const json = <T>(schema: T) => ({ "application/json": { schema } });
const TAGS = ["experiments"];
const BASE = "/api/v1/recs/experiments";

/** ApiError with the problem list in its body. */
class ProblemsError extends ApiError {
  constructor(
    status: 400 | 409,
    code: string,
    readonly problems: readonly ExperimentProblem[],
    message = problems.map((p) => `${p.field}: ${p.message}`).join("; "),
    field = problems[0]?.field,
  ) {
    super(status, code, message, field);
  }

  override toBody(): ErrorBody {
    const body = super.toBody();
    if (this.problems.length === 0) return body;
    const withProblems = { error: { ...body.error, problems: this.problems } };
    return withProblems;
  }
}

/** 400/409 responses of these routes: the error shape plus the problem list. */
function problemResponses<S extends 400 | 409>(...statuses: S[]) {
  const descriptions: Record<400 | 409, string> = {
    400: "Invalid experiment: `field` names the first problem, `problems` lists them all",
    409: "Not possible in the experiment's state, or it clashes with a running experiment (named in the message)",
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: descriptions[s], content: json(ExperimentErrorSchema) }])) as Record<
    S,
    { description: string; content: { "application/json": { schema: typeof ExperimentErrorSchema } } }
  >;
}

/** A body that fails its schema is reported like a config that fails validation: every problem, each with its field. */
function bodyProblemsHook<T, P extends string>(...[result, c]: Parameters<Hook<T, AppEnv, P, undefined>>): undefined {
  if (result.success || result.target !== "json") {
    validationHook(result, c);
    return undefined;
  }
  const problems = result.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    // One problem per unknown key, so each is named.
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ field: [...path, key].join("."), message: "is not a known field" }));
    return [{ field: path.length > 0 ? path.join(".") : "body", message: issue.message }];
  });
  throw new ProblemsError(400, "invalid_request", problems);
}

export function experimentRoutes(deps: ExperimentRouteDeps): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  const lifecycle = { db: deps.db, publisher: deps.publisher };

  app.openapi(
    createRoute({
      method: "get",
      path: BASE,
      summary: "Experiments, newest first",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("experiments:write")] as const,
      request: { query: ExperimentListQuerySchema },
      responses: { 200: { description: "Experiments", content: json(ExperimentListSchema) }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { status, limit } = c.req.valid("query");
      const rows = await listExperiments(deps.db, { ...(status ? { status } : {}), limit });
      return c.json({ experiments: rows.map(toExperimentJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: BASE,
      summary: "Create an experiment (as a draft)",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("experiments:write")] as const,
      request: { body: { required: true, content: json(ExperimentCreateSchema) } },
      responses: {
        201: { description: "Created as a draft", content: json(ExperimentJsonSchema) },
        ...problemResponses(400),
        ...errorResponses(401, 403, 415),
      },
    }),
    async (c) => {
      const row = await lifecycleCall(() => createExperiment(lifecycle, c.req.valid("json"), actorOf(c)));
      await audit(c, "experiment.create", row.id, { name: row.name });
      return c.json(toExperimentJson(row), 201);
    },
    bodyProblemsHook,
  );

  app.openapi(
    createRoute({
      method: "get",
      path: `${BASE}/{id}`,
      summary: "One experiment with its audit trail",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("experiments:write")] as const,
      request: { params: ExperimentParamsSchema },
      responses: { 200: { description: "The experiment", content: json(ExperimentDetailSchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = await getExperiment(deps.db, id);
      if (!row) throw notFound(id);
      const events = await listExperimentEvents(deps.db, id);
      return c.json({ ...toExperimentJson(row), events: events.map(toExperimentEventJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: `${BASE}/{id}`,
      summary: "Change an experiment",
      description:
        "Given fields replace the stored ones. A draft may change anything. A running experiment may change only " +
        "`traffic_share` and its variants' weights (same keys, order and changes); the running set is then re-published " +
        "to the edge. Users already assigned keep their variant (assignments are sticky); note that a weight change makes " +
        "the cumulative users per variant drift from the new weights, which the sample-ratio check will flag. " +
        "409 for anything else while running, for a stopped experiment, or when a new traffic_share overlaps a running experiment.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("experiments:write")] as const,
      request: { params: ExperimentParamsSchema, body: { required: true, content: json(ExperimentUpdateSchema) } },
      responses: {
        200: { description: "Changed (or unchanged when nothing differed)", content: json(ExperimentJsonSchema) },
        ...problemResponses(400, 409),
        ...errorResponses(401, 403, 404, 415, 503),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = await lifecycleCall(() => updateExperiment(lifecycle, id, c.req.valid("json"), actorOf(c)));
      await audit(c, "experiment.update", id, { fields: Object.keys(c.req.valid("json")), status: row.status });
      return c.json(toExperimentJson(row), 200);
    },
    bodyProblemsHook,
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${BASE}/{id}/start`,
      summary: "Start a draft experiment and publish the running set to the edge",
      description:
        "Validated against the running experiments. When it overlaps them only because of where its traffic slice sits, it " +
        "is moved to a free slice (`placement`, and the audit trail, say so); any other overlap is a 409 naming the " +
        "experiment it clashes with. 503 when the edge did not take the new set: nothing was changed.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("experiments:write")] as const,
      request: { params: ExperimentParamsSchema },
      responses: {
        200: { description: "Running", content: json(ExperimentStartedSchema) },
        ...problemResponses(409),
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { row, placement } = await lifecycleCall(() => startExperiment(lifecycle, id, actorOf(c)));
      await audit(c, "experiment.start", id, { placement: toPlacementJson(placement) });
      return c.json({ ...toExperimentJson(row), placement: toPlacementJson(placement) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${BASE}/{id}/stop`,
      summary: "Stop a running experiment and publish the running set to the edge",
      description: "Stopped is final. 409 unless running; 503 when the edge did not take the new set (nothing was changed).",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("experiments:write")] as const,
      request: { params: ExperimentParamsSchema },
      responses: {
        200: { description: "Stopped", content: json(ExperimentJsonSchema) },
        ...problemResponses(409),
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = await lifecycleCall(() => stopExperiment(lifecycle, id, actorOf(c)));
      await audit(c, "experiment.stop", id);
      return c.json(toExperimentJson(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: `${BASE}/{id}/results`,
      summary: "Per-variant counts and rates, comparisons with the control, sample-ratio check and the verdict in words",
      description:
        "Impressions: the items a list's impression feedback names (plus those clicked or converted), or every served item " +
        "when the client sends no impression feedback for that list. Clicks: feedback `click` and `click` events; conversions: " +
        "feedback `conversion` and `purchase` events; `add_to_cart` events are counted apart. Feedback is tied to its list by " +
        "request id; an event naming no request (`context.request_id`) is credited to the user's latest served list holding " +
        "the item within ATTRIBUTION_WINDOW_HOURS. Each (request, item, outcome) counts once. Each readout is a look of the " +
        "sequential test, whose state is stored, so reading often does not inflate false positives.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("experiments:write")] as const,
      request: { params: ExperimentParamsSchema },
      responses: { 200: { description: "The readout", content: json(ExperimentResultsSchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const results = await experimentResults(deps.db, id, { attributionWindowHours: deps.attributionWindowHours });
      if (!results) throw notFound(id);
      return c.json(toResultsJson(results), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: `${BASE}/{id}/timeline`,
      summary: "Cumulative CTR and conversion rate per variant over time, with intervals (the dashboard's chart)",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("experiments:write")] as const,
      request: { params: ExperimentParamsSchema, query: TimelineQuerySchema },
      responses: { 200: { description: "The timeline", content: json(ExperimentTimelineSchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const timeline = await resultsTimeline(deps.db, id, { attributionWindowHours: deps.attributionWindowHours, points: c.req.valid("query").points });
      if (!timeline) throw notFound(id);
      return c.json({ experiment_id: id, points: timeline.points }, 200);
    },
  );

  return app;
}

function notFound(id: string): ApiError {
  return new ApiError(404, "not_found", `no experiment "${id}"`, "id");
}

/** Lifecycle refusals become API errors: unknown → 404, invalid → 400, not now / clash → 409, edge down → 503. */
async function lifecycleCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ExperimentError)) throw error;
    switch (error.kind) {
      case "not_found":
        throw new ApiError(404, "not_found", error.message, error.field);
      case "invalid":
        throw new ProblemsError(400, "invalid_request", error.problems, error.message, error.field);
      case "conflict":
        throw new ProblemsError(409, "conflict", error.problems, error.message, error.field);
      case "edge_unavailable":
        throw new ApiError(503, "edge_unavailable", error.message);
    }
  }
}
