/**
 * Training and model registry API (scope `models:publish`): queue a training, follow it, inspect the
 * registry, promote a version or roll back to the previous champion.
 *
 * Promote and rollback flip the edge first (publisher.activate), then the registry: if
 * the edge cannot be reached nothing changes and the caller gets a 503 to retry, rather
 * than a registry that names a champion the edge is not serving.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { audit } from "../audit/audit-trail.js";
import type { RequireScope } from "../auth/require-scope.js";
import type { Db } from "../db/client.js";
import { describeError } from "../describe-error.js";
import { ApiError, errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import {
  assertPromotable,
  currentChampion,
  getVersion,
  listEvents,
  listVersions,
  promote,
  RegistryError,
  rollback,
  rollbackPlan,
} from "../registry/model-registry.js";
import { getJob, listJobs, queuePositions } from "../training-jobs/job-store.js";
import type { TrainingRunner } from "../training-jobs/job-runner.js";
import type { ModelPublisher } from "../training-jobs/types.js";
import { actorOf } from "../http/request-actor.js";
import {
  ListQuerySchema,
  ModelListSchema,
  ModelVersionDetailSchema,
  PromoteResultSchema,
  RollbackResultSchema,
  toEventJson,
  toJobJson,
  toVersionJson,
  TrainAcceptedSchema,
  TrainBodySchema,
  TrainingJobListSchema,
  TrainingJobSchema,
  TrainingParamsSchema,
  VersionParamsSchema,
  windowOf,
} from "./training-schemas.js";

export interface TrainingRouteDeps {
  db: Db;
  runner: Pick<TrainingRunner, "enqueue">;
  publisher: Pick<ModelPublisher, "activate">;
  requireScope: RequireScope;
}

const json = <T>(schema: T) => ({ "application/json": { schema } });
const TAGS = ["training"];

export function trainingRoutes(deps: TrainingRouteDeps): OpenAPIHono<AppEnv> {
  const app = openApiApp();

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/recs/train",
      summary: "Queue a training run (one runs at a time)",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("models:publish")] as const,
      request: { body: { required: true, content: json(TrainBodySchema) } },
      responses: { 202: { description: "Queued", content: json(TrainAcceptedSchema) }, ...errorResponses(400, 401, 403, 415) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { job, position } = await deps.runner.enqueue({ modelType: body.model_type ?? "pipeline", trigger: "api", window: windowOf(body) });
      await audit(c, "training.request", job.id, { model_type: job.modelType, window: windowOf(body) });
      return c.json({ training_id: job.id, status: "queued" as const, position }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/recs/train/{trainingId}",
      summary: "A training run: status, progress, outcome",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("models:publish")] as const,
      request: { params: TrainingParamsSchema },
      responses: { 200: { description: "The run", content: json(TrainingJobSchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { trainingId } = c.req.valid("param");
      const job = await getJob(deps.db, trainingId);
      if (!job) throw new ApiError(404, "not_found", `no training run "${trainingId}"`, "trainingId");
      const position = (await queuePositions(deps.db)).get(job.id) ?? null;
      return c.json(toJobJson(job, position), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/recs/train",
      summary: "Recent training runs, newest first",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("models:publish")] as const,
      request: { query: ListQuerySchema },
      responses: { 200: { description: "Runs", content: json(TrainingJobListSchema) }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { limit } = c.req.valid("query");
      const [jobs, positions] = await Promise.all([listJobs(deps.db, limit), queuePositions(deps.db)]);
      return c.json({ jobs: jobs.map((j) => toJobJson(j, positions.get(j.id) ?? null)) }, 200);
    },
  );

  registerModelRoutes(app, deps);
  return app;
}

function registerModelRoutes(app: OpenAPIHono<AppEnv>, deps: TrainingRouteDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/recs/models",
      summary: "The model registry, newest first",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("models:publish")] as const,
      request: { query: ListQuerySchema },
      responses: { 200: { description: "Versions", content: json(ModelListSchema) }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { limit } = c.req.valid("query");
      const [models, champion] = await Promise.all([listVersions(deps.db, limit), currentChampion(deps.db)]);
      return c.json({ champion: champion?.version ?? null, models: models.map(toVersionJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/recs/models/{version}",
      summary: "One model version with its audit trail",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("models:publish")] as const,
      request: { params: VersionParamsSchema },
      responses: { 200: { description: "The version", content: json(ModelVersionDetailSchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { version } = c.req.valid("param");
      const row = await getVersion(deps.db, version);
      if (!row) throw notFound(version);
      const events = await listEvents(deps.db, version);
      return c.json({ ...toVersionJson(row), events: events.map(toEventJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/recs/models/{version}/promote",
      summary: "Serve a published version at the edge and make it the champion",
      description: "409 when the version was never published, or was rejected by the gates.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("models:publish")] as const,
      request: { params: VersionParamsSchema },
      responses: { 200: { description: "Promoted", content: json(PromoteResultSchema) }, ...errorResponses(400, 401, 403, 404, 409, 503) },
    }),
    async (c) => {
      const { version } = c.req.valid("param");
      const row = await getVersion(deps.db, version);
      if (!row) throw notFound(version);
      await registry(async () => assertPromotable(row));
      await activate(deps, version);
      const result = await registry(() => promote(deps.db, version, actorOf(c)));
      await audit(c, "model.promote", version, { previous: result.previous });
      return c.json({ version, status: "champion" as const, previous: result.previous }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/recs/models/rollback",
      summary: "Retire the champion and serve the one it replaced",
      description: "Undoes the latest promotion not yet undone; 409 when there is none.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("models:publish")] as const,
      responses: { 200: { description: "Rolled back", content: json(RollbackResultSchema) }, ...errorResponses(401, 403, 409, 503) },
    }),
    async (c) => {
      const plan = await registry(() => rollbackPlan(deps.db));
      await activate(deps, plan.to);
      await registry(() => rollback(deps.db, actorOf(c), plan));
      await audit(c, "model.rollback", plan.to, { rolled_back: plan.from });
      return c.json({ version: plan.to, status: "champion" as const, rolled_back: plan.from }, 200);
    },
  );
}

function notFound(version: string): ApiError {
  return new ApiError(404, "not_found", `no model version "${version}"`, "version");
}

/** Registry refusals become API errors: unknown → 404, not allowed now → 409. */
async function registry<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    if (error.kind === "not_found") throw new ApiError(404, "not_found", error.message, "version");
    throw new ApiError(409, "conflict", error.message);
  }
}

async function activate(deps: TrainingRouteDeps, version: string): Promise<void> {
  try {
    await deps.publisher.activate(version);
  } catch (error) {
    throw new ApiError(503, "edge_unavailable", `the edge did not activate ${version}: ${describeError(error)}; nothing was changed`);
  }
}
