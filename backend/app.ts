/**
 * The backend HTTP app: the system of record's API (catalog, ingest, erase, debugging),
 * API keys and the audit log, training and the model registry (when a runner is given), experiments (when a
 * publisher for them is given), canary rollouts (when both are), ops endpoints,
 * /openapi.json generated from the route schemas, and /docs.
 *
 * Cross-cutting behaviour, outermost first: request id → request log + metrics → CORS
 * → body cap (413) → JSON-only writes (415) → routes; errors of any kind leave as the
 * JSON error shape (http/error-handling.ts).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { BackendConfig } from "./config.js";
import { resolveUserIdHashKey } from "../models/user-hash.js";
import { auditTrail, createAuditRecorder } from "./audit/audit-trail.js";
import { createApiKeyVerifier, type ApiKeyVerifier } from "./auth/api-key-verifier.js";
import { unconfiguredKeyPublisher, type KeySetPublisher } from "./auth/key-set-publisher.js";
import { createScopeGuard } from "./auth/require-scope.js";
import { countItems } from "./catalog/catalog-repository.js";
import { createCatalogSync, type CatalogSync } from "./catalog/catalog-sync.js";
import type { Database } from "./db/client.js";
import type { FeatureStore } from "./feature-store/feature-store.js";
import type { AppEnv } from "./http/app-env.js";
import type { ExperimentSetPublisher } from "./experiments/experiment-publisher.js";
import { corsAllowList } from "./http/cors.js";
import { errorHandler, notFound } from "./http/error-handling.js";
import { except } from "hono/combine";
import type { MiddlewareHandler } from "hono";
import { limitBody, requireJsonBody } from "./http/json-body-guard.js";
import { openApiApp } from "./http/openapi-app.js";
import { requestId } from "./http/request-id.js";
import { requestLog } from "./http/request-log.js";
import { mountSwaggerUi } from "./http/swagger-ui.js";
import { createLogger, type Logger } from "./logger.js";
import { createBackendMetrics, type BackendMetrics } from "./metrics/backend-metrics.js";
import { auditRoutes } from "./routes/audit-routes.js";
import { canaryRoutes } from "./routes/canary-routes.js";
import { catalogRoutes } from "./routes/catalog-routes.js";
import { IMPORT_PATH, importRoutes } from "./routes/import-routes.js";
import { interactionStatsRoutes } from "./routes/interaction-stats-routes.js";
import { experimentRoutes } from "./routes/experiment-routes.js";
import { internalRoutes } from "./routes/internal-routes.js";
import { keyRoutes } from "./routes/key-routes.js";
import { opsRoutes } from "./routes/ops-routes.js";
import { trainingRoutes } from "./routes/training-routes.js";
import { userRoutes } from "./routes/user-routes.js";
import { webhookRoutes } from "./routes/webhook-routes.js";
import { dataQualityRoutes } from "./routes/data-quality-routes.js";
import { liveRoutes } from "./routes/live-routes.js";
import { dashboardRoutes } from "./dashboard/dashboard-routes.js";
import { DEFAULT_THRESHOLDS, type DataQualityThresholds } from "./data-quality/data-quality.js";
import type { TrainingRunner } from "./training-jobs/job-runner.js";
import type { ModelPublisher } from "./training-jobs/types.js";
import { shadowRoutes } from "./routes/shadow-routes.js";
import type { ShadowPublisher } from "./shadow/shadow-publisher.js";
import { DEFAULT_ATTRIBUTION_WINDOW_HOURS } from "./experiments/attribution.js";

/**
 * A full catalog upsert (1000 items with maximal tags and attributes) is about 13 MB;
 * an ingest batch of 1000 events with maximal contexts about 3 MB.
 */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface BackendDeps {
  database: Database;
  featureStore: FeatureStore;
  /** `environment` (key prefixes) defaults from isProduction. `userIdHashKey` absent (tests): the development key, refused in production. */
  config: Pick<BackendConfig, "backendToken" | "corsOrigins" | "isProduction"> & Partial<Pick<BackendConfig, "environment" | "userIdHashKey">>;
  logger?: Logger;
  metrics?: BackendMetrics;
  /** Created (not started) when absent; the server starts its retry loop. */
  catalogSync?: CatalogSync;
  verifier?: ApiKeyVerifier;
  /** Carries key changes to the edge; without one, changes answer `publication: pending`. */
  keyPublisher?: KeySetPublisher;
  /** API key lookup cache, at most 30 s. */
  authCacheTtlMs?: number;
  maxBodyBytes?: number;
  /** The training and model registry API is mounted only when a runner is given. */
  training?: { runner: TrainingRunner; publisher: ModelPublisher };
  /** The experiments API is mounted when a publisher (to the edge) is given. */
  experiments?: { publisher: ExperimentSetPublisher; attributionWindowHours: number };
  /** The shadow rollout API is mounted with the training API when a shadow publisher is given. */
  shadows?: { publisher: ShadowPublisher };
  /** Thresholds of GET /api/v1/data-quality; the defaults when absent. */
  dataQuality?: DataQualityThresholds;
  /** Told after every successful admin write, so what it queued is sent at once rather than at its next poll. */
  webhooks?: { kick(): void };
}

export function createBackendApp(deps: BackendDeps): OpenAPIHono<AppEnv> {
  const db = deps.database.db;
  const logger = deps.logger ?? createLogger();
  const metrics = deps.metrics ?? createBackendMetrics();
  metrics.setCatalogItemCounter(() => countItems(db));
  const catalogSync = deps.catalogSync ?? createCatalogSync({ db, featureStore: deps.featureStore, logger, metrics });
  const verifier = deps.verifier ?? createApiKeyVerifier({ db, isProduction: deps.config.isProduction, ...ttl(deps.authCacheTtlMs) });
  const requireScope = createScopeGuard(verifier);
  const userIdHashKey = resolveUserIdHashKey(deps.config.userIdHashKey, deps.config.isProduction);
  const recorder = createAuditRecorder({ db, logger, userIdHashKey });

  const app = openApiApp();
  app.use("*", requestId(), requestLog(logger, metrics, userIdHashKey), corsAllowList(deps.config.corsOrigins), auditTrail(recorder));
  // The history import streams NDJSON or CSV of any length; every other write is capped JSON.
  app.use("*", except(IMPORT_PATH, limitBody(deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES), requireJsonBody()));
  // A write may have queued webhook deliveries (ping, redeliver, promotion…): send them now, not at the next poll.
  const hooks = deps.webhooks;
  if (hooks)
    app.use(
      "/api/*",
      kickAfterWrites(() => hooks.kick()),
    );

  app.route("/", opsRoutes({ metrics, checks: { postgres: () => deps.database.ping(), redis: () => deps.featureStore.ping() } }));
  app.route("/", catalogRoutes({ db, catalogSync, requireScope }));
  app.route("/", importRoutes({ db, requireScope, metrics, userIdHashKey }));
  app.route("/", interactionStatsRoutes({ db, requireScope }));
  app.route("/", userRoutes({ db, requireScope }));
  app.route("/", internalRoutes({ db, backendToken: deps.config.backendToken, metrics, userIdHashKey }));
  app.route("/", keyRoutes({ db, requireScope, verifier, publisher: deps.keyPublisher ?? unconfiguredKeyPublisher, environment: keyEnvironment(deps.config) }));
  app.route("/", auditRoutes({ db, requireScope }));
  app.route("/", dataQualityRoutes({ db, requireScope, thresholds: deps.dataQuality ?? DEFAULT_THRESHOLDS }));
  app.route("/", liveRoutes({ live: metrics.live, requireScope }));
  app.route("/", webhookRoutes({ db, requireScope, isProduction: deps.config.isProduction }));
  // Before the training routes, whose /models/{version} would take /models/canaries.
  if (deps.training && deps.experiments) app.route("/", canaryRoutes({ db, ...canaryDeps(deps.training, deps.experiments), requireScope }));
  if (deps.training && deps.shadows) {
    const attributionWindowHours = deps.experiments?.attributionWindowHours ?? DEFAULT_ATTRIBUTION_WINDOW_HOURS;
    app.route("/", shadowRoutes({ db, shadowPublisher: deps.shadows.publisher, attributionWindowHours, requireScope }));
  }
  if (deps.training) app.route("/", trainingRoutes({ db, ...deps.training, requireScope }));
  if (deps.experiments) app.route("/", experimentRoutes({ db, ...deps.experiments, requireScope }));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API key (`rk_…`) for /api routes; the BACKEND_TOKEN for /internal routes",
  });
  app.doc("/openapi.json", {
    openapi: "3.0.3",
    info: { title: "Edge recommendations — backend", version: "1.0.0" },
  });
  mountSwaggerUi(app, { path: "/docs", specUrl: "/openapi.json" });
  app.route("/", dashboardRoutes());

  app.notFound(notFound());
  app.onError(errorHandler(logger));
  return app;
}

/** Canaries need both: the experiments publisher to reach the edge, the model publisher to activate a winner. */
function canaryDeps(training: NonNullable<BackendDeps["training"]>, experiments: NonNullable<BackendDeps["experiments"]>) {
  return {
    experimentPublisher: experiments.publisher,
    modelPublisher: training.publisher,
    attributionWindowHours: experiments.attributionWindowHours,
  };
}

/** Promotions, rollbacks, canary and experiment changes queue webhook deliveries in their transactions. */
function kickAfterWrites(kick: () => void): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (c.req.method !== "GET" && c.res.status < 400) kick();
  };
}

function keyEnvironment(config: BackendDeps["config"]): string {
  return config.environment ?? (config.isProduction ? "production" : "development");
}

function ttl(ms: number | undefined): { cacheTtlMs?: number } {
  return ms === undefined ? {} : { cacheTtlMs: ms };
}
