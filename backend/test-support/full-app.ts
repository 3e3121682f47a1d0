/**
 * Test helper: the backend app over a harness's stores with every optional part mounted
 * (training with a scripted trainer and a recording publisher, experiments, shadows),
 * for tests that must reach every route. Stop `runner` after the file.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createBackendApp, type BackendDeps } from "../app.js";
import type { AppEnv } from "../http/app-env.js";
import { silentLogger } from "../logger.js";
import { createTrainingRunner, type TrainingRunner, type TrainingRunnerOptions } from "../training-jobs/job-runner.js";
import { BACKEND_TOKEN, type Harness } from "./backend-harness.js";
import { recordingExperimentPublisher } from "./experiment-stand-ins.js";
import { recordingPublisher, scriptedTrainer } from "./training-stand-ins.js";

/** `runnerOptions`: the trainer (a scripted one that trains nothing by default) and the runner's settings. */
export function fullBackendApp(
  h: Harness,
  extra: Partial<BackendDeps> = {},
  runnerOptions: Partial<Omit<TrainingRunnerOptions, "db" | "publisher">> = {},
): { app: OpenAPIHono<AppEnv>; runner: TrainingRunner } {
  const publisher = recordingPublisher();
  const runner = createTrainingRunner({ db: h.database.db, trainer: scriptedTrainer().trainer, publisher, ...runnerOptions });
  const app = createBackendApp({
    database: h.database,
    featureStore: h.featureStore,
    logger: silentLogger,
    config: { backendToken: BACKEND_TOKEN, corsOrigins: [], isProduction: false },
    training: { runner, publisher },
    experiments: { publisher: recordingExperimentPublisher(), attributionWindowHours: 24 },
    shadows: { publisher: { set: async () => undefined } },
    ...extra,
  });
  return { app, runner };
}
