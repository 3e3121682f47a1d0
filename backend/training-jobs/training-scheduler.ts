/**
 * Keeps the model fresh without an operator: a 'startup' job when the backend comes up
 * with no champion (TRAIN_ON_START), and a 'schedule' job whenever the newest job of any
 * kind is TRAIN_INTERVAL_HOURS old (0 disables).
 *
 * "Since the newest job", read from the database, rather than a timer started with the
 * process: a backend restarted more often than the interval would otherwise never
 * train, and a manual training resets the clock as a scheduled one would. Nothing is
 * queued while a job is queued or running, so a training slower than the interval does
 * not pile up a backlog.
 */
import type { Db } from "../db/client.js";
import { describeError } from "../describe-error.js";
import { silentLogger, type Logger } from "../logger.js";
import { currentChampion } from "../registry/model-registry.js";
import { hasActiveJob, latestJobCreatedAt } from "./job-store.js";
import type { TrainingRunner } from "./job-runner.js";
import type { ModelType } from "./types.js";

export interface TrainingSchedulerOptions {
  db: Db;
  runner: Pick<TrainingRunner, "enqueue">;
  /** 0 disables scheduled training. */
  intervalHours: number;
  onStart: boolean;
  /** Default "pipeline". */
  modelType?: ModelType;
  logger?: Logger;
  /** How often to look whether a scheduled run is due. Default the interval, at most 5 minutes. */
  checkEveryMs?: number;
  now?: () => number;
}

export interface TrainingScheduler {
  /** Queues the start-up job if one is wanted, then starts the periodic check. */
  start(): Promise<void>;
  /** One periodic check; true when it queued a job. */
  tick(): Promise<boolean>;
  stop(): void;
}

const MAX_CHECK_MS = 5 * 60 * 1000;

export function createTrainingScheduler(options: TrainingSchedulerOptions): TrainingScheduler {
  const { db, runner } = options;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const modelType = options.modelType ?? "pipeline";
  const intervalMs = options.intervalHours * 3_600_000;
  const startedAt = now();
  let timer: ReturnType<typeof setInterval> | null = null;

  const tick = async (): Promise<boolean> => {
    if (intervalMs <= 0 || (await hasActiveJob(db))) return false;
    const last = (await latestJobCreatedAt(db))?.getTime() ?? startedAt;
    if (now() - last < intervalMs) return false;
    await runner.enqueue({ modelType, trigger: "schedule", window: {} });
    return true;
  };

  const startup = async () => {
    if (!options.onStart || (await currentChampion(db)) !== null || (await hasActiveJob(db))) return;
    logger.info("no champion model yet: queueing a start-up training");
    await runner.enqueue({ modelType, trigger: "startup", window: {} });
  };

  return {
    async start() {
      await startup();
      if (intervalMs <= 0) return;
      timer = setInterval(() => {
        tick().catch((error: unknown) => logger.error("scheduled training check failed", { error: describeError(error) }));
      }, options.checkEveryMs ?? Math.min(intervalMs, MAX_CHECK_MS));
      timer.unref();
    },
    tick,
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
