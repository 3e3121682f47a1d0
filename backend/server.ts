/**
 * Runs the backend: migrate, seed local keys, serve HTTP, then — in the background —
 * publish the key set (and again every minute) and the running experiments to the edge and re-sync the feature
 * store. Given a trainer and a
 * publisher it also runs the training queue and its schedule, and decides running
 * canaries every CANARY_CHECK_MINUTES. `tsx backend/server.ts`
 * runs it with configuration from the environment (see config.ts).
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createAdaptorServer } from "@hono/node-server";
import { createBackendApp } from "./app.js";
import { createAuditRecorder } from "./audit/audit-trail.js";
import { auditCanaryDecisions, auditScheduledTrainings } from "./audit/background-audit.js";
import { seedLocalKeys } from "./auth/api-key-store.js";
import { evaluateCanaries } from "./canary/canary.js";
import { createCanaryScheduler, type CanaryScheduler } from "./canary/canary-scheduler.js";
import { createCatalogSync } from "./catalog/catalog-sync.js";
import { ConfigError, loadConfig, type BackendConfig } from "./config.js";
import { createDatabase, type Database } from "./db/client.js";
import { migrateDatabase } from "./db/migrate.js";
import { createKeySetPublisher, type KeySetPublisher } from "./auth/key-set-publisher.js";
import type { PublishOptions } from "./edge-publisher.js";
import { publishRunningSet } from "./experiments/experiment-lifecycle.js";
import { createEdgeExperimentPublisher, type ExperimentSetPublisher } from "./experiments/experiment-publisher.js";
import { createEdgeShadowPublisher, type ShadowPublisher } from "./shadow/shadow-publisher.js";
import { describeError } from "./describe-error.js";
import { claimOnce, keepClaiming } from "./feature-store/claim-feature-store.js";
import { createFeatureStore, type FeatureStore } from "./feature-store/feature-store.js";
import { createLogger, type Logger } from "./logger.js";
import { createBackendMetrics } from "./metrics/backend-metrics.js";
import { DEFAULT_GATE_CONFIG } from "./registry/gates.js";
import { createTrainingRunner, type TrainingRunner } from "./training-jobs/job-runner.js";
import { createHistoryPublisher } from "./training-jobs/history-publisher.js";
import { createTrainingScheduler, type TrainingScheduler } from "./training-jobs/training-scheduler.js";
import type { ModelPublisher, Trainer } from "./training-jobs/types.js";
import { createWebhookDispatcher } from "./webhooks/webhook-dispatcher.js";
import { pipelineTraining } from "./training-jobs/pipeline-training.js";
import { createDataQualityMonitor } from "./data-quality/data-quality-monitor.js";

export interface RunningBackend {
  url: string;
  port: number;
  database: Database;
  /** Settles when the first key-set publication has succeeded or given up. */
  keysPublished: Promise<boolean>;
  /** Settles when the start-up publication of the running experiments has succeeded or given up. */
  experimentsPublished: Promise<boolean>;
  /** The training queue, when a trainer was given. */
  training: TrainingRunner | null;
  close(): Promise<void>;
}

export interface StartBackendOptions {
  logger?: Logger;
  /** Default true. */
  publishKeys?: boolean;
  /** Publish the running experiments at start-up; defaults to `publishKeys`. */
  publishExperiments?: boolean;
  /** Where experiment sets go; default the edge at EDGE_URL (`PUT /v1/admin/experiments`). */
  experimentPublisher?: ExperimentSetPublisher;
  shadowPublisher?: ShadowPublisher;
  publishOptions?: PublishOptions;
  /** Re-send every item to the feature store once after start-up. Default true. */
  resyncOnStart?: boolean;
  resyncIntervalMs?: number;
  /**
   * Runs the training queue and schedule and mounts the training and registry API. The
   * function form receives the backend's own database, for a trainer that reads it
   * (a second PGlite on the same directory is not possible).
   */
  training?: TrainingOption;
}

export interface TrainingServices {
  trainer: Trainer;
  publisher: ModelPublisher;
}

export type TrainingOption = TrainingServices | ((database: Database) => TrainingServices);

export async function startBackend(config: BackendConfig, options: StartBackendOptions = {}): Promise<RunningBackend> {
  const logger = options.logger ?? createLogger();
  warnAboutOpenEndpoints(config, logger);
  const database = await createDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    driver: config.databaseDriver,
    onPoolError: (error) => logger.error("postgres pool error", { error: error.message }),
  });
  try {
    await migrateDatabase(database);
    const seeded = await seedLocalKeys(database.db, config);
    logger.info("database ready", { database: database.description, seeded_keys: seeded });
    return await serve(config, options, database, logger);
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function serve(config: BackendConfig, options: StartBackendOptions, database: Database, logger: Logger): Promise<RunningBackend> {
  const metrics = createBackendMetrics({ processMetrics: true });
  const featureStore = createFeatureStore({ url: config.redisRestUrl, token: config.redisRestToken });
  const catalogSync = createCatalogSync({ db: database.db, featureStore, logger, metrics });
  // Before anything writes to Redis: state left by another database must not survive.
  const claiming = new AbortController();
  if (!(await claimOnce(database.db, featureStore, logger))) {
    void keepClaiming(database.db, featureStore, logger, claiming.signal, () => {
      catalogSync.markAllPending();
      void catalogSync.resyncPending();
    });
  }
  const training = options.training ? createTraining(config, database, options.training, featureStore, logger) : null;
  const experimentPublisher = options.experimentPublisher ?? createEdgeExperimentPublisher({ edgeUrl: config.edgeUrl, edgeAdminToken: config.edgeAdminToken });
  const keyPublisher = createKeySetPublisher({ db: database.db, edgeUrl: config.edgeUrl, edgeAdminToken: config.edgeAdminToken, logger });
  const webhooks = createWebhookDispatcher({
    db: database.db,
    logger,
    retryBaseMs: config.webhookRetryBaseSeconds * 1000,
    maxAttempts: config.webhookMaxAttempts,
    onAttempt: (event, outcome) => metrics.countWebhookAttempt(event, outcome),
  });
  const app = createBackendApp({
    database,
    featureStore,
    config,
    logger,
    metrics,
    catalogSync,
    keyPublisher,
    webhooks,
    dataQuality: config.dataQuality,
    ...(training ? { training: { runner: training.runner, publisher: training.publisher } } : {}),
    experiments: { publisher: experimentPublisher, attributionWindowHours: config.attributionWindowHours },
    shadows: { publisher: options.shadowPublisher ?? createEdgeShadowPublisher({ edgeUrl: config.edgeUrl, edgeAdminToken: config.edgeAdminToken }) },
  });
  // Without http2/https options the adaptor makes a plain node:http Server.
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const port = await listen(server, config.port, config.host);
  if (training) await startTraining(training, server);
  const canaries = training ? startCanaryChecks(config, database, experimentPublisher, training.publisher, logger) : null;
  webhooks.start();
  const dataQuality = createDataQualityMonitor({
    db: database.db,
    thresholds: config.dataQuality,
    metrics,
    intervalMinutes: config.dataQualityCheckMinutes,
    logger,
  });
  dataQuality.start();
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  logger.info("backend listening", { url, environment: config.environment });

  if (options.resyncOnStart ?? true) {
    catalogSync.markAllPending();
    void catalogSync.resyncPending();
  }
  catalogSync.start(options.resyncIntervalMs);

  const publishing = new AbortController();
  const keysPublished = options.publishKeys === false ? Promise.resolve(false) : publishKeysInBackground(config, keyPublisher, logger, options.publishOptions);
  const experimentsPublished =
    (options.publishExperiments ?? options.publishKeys) === false
      ? Promise.resolve(false)
      : publishExperimentsInBackground(database, experimentPublisher, logger, publishing.signal, options.publishOptions);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      publishing.abort();
      claiming.abort();
      keyPublisher.stop();
      catalogSync.stop();
      canaries?.stop();
      dataQuality.stop();
      await webhooks.stop();
      training?.scheduler.stop();
      await training?.runner.stop();
      await closeServer(server);
      await keysPublished;
      await experimentsPublished;
      await database.close();
    })();
    return closing;
  };
  return { url, port, database, keysPublished, experimentsPublished, training: training?.runner ?? null, close };
}

interface Training {
  runner: TrainingRunner;
  scheduler: TrainingScheduler;
  publisher: ModelPublisher;
}

function createTraining(config: BackendConfig, database: Database, services: TrainingOption, featureStore: FeatureStore, logger: Logger): Training {
  const injected = typeof services === "function" ? services(database) : services;
  const gate = { ...DEFAULT_GATE_CONFIG, maxRegression: config.gateMaxRegression };
  const histories = createHistoryPublisher({ db: database.db, featureStore, userIdHashKey: config.userIdHashKey });
  const runner = createTrainingRunner({ db: database.db, ...injected, histories, logger, gate });
  const scheduler = createTrainingScheduler({
    db: database.db,
    runner: auditScheduledTrainings(runner, createAuditRecorder({ db: database.db, logger, userIdHashKey: config.userIdHashKey })),
    intervalHours: config.trainIntervalHours,
    onStart: config.trainOnStart,
    logger,
  });
  return { runner, scheduler, publisher: injected.publisher };
}

/**
 * Running canaries are decided every CANARY_CHECK_MINUTES, like the training schedule
 * only when the backend trains (promoting a canary needs the model publisher).
 */
function startCanaryChecks(
  config: BackendConfig,
  database: Database,
  experimentPublisher: ExperimentSetPublisher,
  modelPublisher: ModelPublisher,
  logger: Logger,
): CanaryScheduler {
  const deps = { db: database.db, experimentPublisher, modelPublisher, attributionWindowHours: config.attributionWindowHours };
  const recorder = createAuditRecorder({ db: database.db, logger, userIdHashKey: config.userIdHashKey });
  const evaluate = auditCanaryDecisions(() => evaluateCanaries(deps), recorder);
  const scheduler = createCanaryScheduler({ evaluate, intervalMinutes: config.canaryCheckMinutes, logger });
  scheduler.start();
  return scheduler;
}

/** After listen: a port already in use must not leave a training running behind the error. */
async function startTraining(training: Training, server: Server): Promise<void> {
  try {
    await training.runner.start();
    await training.scheduler.start();
  } catch (error) {
    training.scheduler.stop();
    await training.runner.stop();
    await closeServer(server);
    throw error;
  }
}

/**
 * Once at start-up, patiently (the edge may still be booting), then every minute: that
 * retries publications that failed after a key change and drops expired keys.
 */
function publishKeysInBackground(config: BackendConfig, publisher: KeySetPublisher, logger: Logger, options: PublishOptions = {}): Promise<boolean> {
  const first = publisher.publishAtStartup({
    attempts: 40,
    baseDelayMs: 500,
    maxDelayMs: 5000,
    ...options,
    onRetry: (attempt, reason, delayMs) => logger.info("edge not ready for the key set; retrying", { attempt, reason, delay_ms: delayMs }),
  });
  publisher.start();
  return first.then((result) => {
    if (result.status === "published") logger.info("key set published to the edge", { edge: config.edgeUrl, keys: result.keys });
    return result.status === "published";
  });
}

/**
 * The running set, once the edge answers: the edge may have missed a publication while
 * the backend was down, or kept a set from before a database reset.
 */
function publishExperimentsInBackground(
  database: Database,
  publisher: ExperimentSetPublisher,
  logger: Logger,
  signal: AbortSignal,
  options: PublishOptions = {},
): Promise<boolean> {
  return publishRunningSet({ db: database.db, publisher }, "backend:startup", {
    attempts: 40,
    baseDelayMs: 500,
    maxDelayMs: 5000,
    ...options,
    signal,
    onRetry: (attempt, reason, delayMs) => logger.info("edge not ready for the experiments; retrying", { attempt, reason, delay_ms: delayMs }),
  }).then(
    (result) => {
      logger.info("running experiments published to the edge", { experiments: result.experiments.length, attempts: result.attempts });
      return true;
    },
    (error: Error) => {
      if (!signal.aborted) logger.error("running experiments not published to the edge", { error: describeError(error) });
      return false;
    },
  );
}

function warnAboutOpenEndpoints(config: BackendConfig, logger: Logger): void {
  if (!config.backendToken) logger.warn("BACKEND_TOKEN is not set: /internal endpoints accept any caller (development only)");
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new Error(`port ${port} on ${host} is already in use: stop the other process or set PORT`) : error);
    });
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections would hold close() open until they time out.
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
}

async function main(): Promise<void> {
  let config: BackendConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const backend = await startBackend(config, config.training ? { training: pipelineTraining(config) } : {});
  const stop = () => {
    backend.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((error: Error) => {
    console.error(`backend failed to start: ${error.message}`);
    process.exit(1);
  });
}
