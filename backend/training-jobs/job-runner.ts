/**
 * Runs training jobs one at a time from the queue in training_jobs: claim the oldest
 * queued job, call the injected trainer with a throttled progress callback, then release
 * the candidate (registry → gates → publish → activate → promote, release-candidate.ts)
 * and record the outcome on the job.
 *
 * One job at a time because training is CPU- and memory-bound on the backend's own
 * machine: two at once would each take twice as long and could run it out of memory.
 * The queue is in Postgres so accepted requests survive a restart; a job that was
 * running when the process died is failed at start-up ("interrupted by restart") — this
 * assumes one backend process runs training per database.
 */
import type { Db } from "../db/client.js";
import { describeError } from "../describe-error.js";
import { silentLogger, type Logger } from "../logger.js";
import { DEFAULT_GATE_CONFIG, type GateConfig } from "../registry/gates.js";
import { candidateProblems } from "./check-candidate.js";
import {
  claimNextJob,
  failInterruptedJobs,
  finishJob,
  insertJob,
  queuePositions,
  reportProgress,
  setJobVersion,
  type JobOutcome,
  type NewTrainingJob,
  type TrainingJobRow,
} from "./job-store.js";
import { createProgressWriter } from "./progress-writer.js";
import { championRecipe } from "./champion-recipe.js";
import type { HistoryPublisher } from "./history-publisher.js";
import { releaseCandidate, type ReleaseOutcome } from "./release-candidate.js";
import type { ModelPublisher, TrainedCandidate, Trainer, TrainingRequest } from "./types.js";

export interface TrainingRunnerOptions {
  db: Db;
  trainer: Trainer;
  publisher: ModelPublisher;
  /** Publishes the candidates' trained user histories before activation. */
  histories?: HistoryPublisher;
  logger?: Logger;
  gate?: GateConfig;
  /** Least time between two progress writes of a job. Default 1000 ms. */
  progressIntervalMs?: number;
  /** How often the queue is re-read without a wake-up (after a database error, jobs of other processes). Default 30 s. */
  pollIntervalMs?: number;
  /** How long stop() waits for an aborted trainer to return. Default 10 s. */
  stopTimeoutMs?: number;
}

export interface TrainingRunner {
  /** Fails jobs a dead process left running, then works through the queue. */
  start(): Promise<void>;
  /** Queues a job; `position` is how many jobs are ahead of it (0: it starts next). */
  enqueue(job: NewTrainingJob): Promise<{ job: TrainingJobRow; position: number }>;
  /** Resolves once nothing is queued or running in this process. */
  idle(): Promise<void>;
  /** Stops taking jobs and aborts the running one, which fails as stopped. */
  stop(): Promise<void>;
}

export function createTrainingRunner(options: TrainingRunnerOptions): TrainingRunner {
  const { db } = options;
  const logger = options.logger ?? silentLogger;
  let started = false;
  let stopped = false;
  let wanted = false;
  let draining: Promise<void> | null = null;
  let current: AbortController | null = null;
  let poll: ReturnType<typeof setInterval> | null = null;

  const kick = () => {
    wanted = true;
    if (!started || stopped || draining !== null) return;
    draining = drain().finally(() => {
      draining = null;
      if (wanted) kick();
    });
  };

  const drain = async () => {
    while (wanted && !stopped) {
      wanted = false;
      while (!stopped) {
        // Made before the claim, so a stop() during the claim aborts the job it returns.
        current = new AbortController();
        const job = await claim();
        if (job === null) break;
        await runJob(options, job, current.signal, logger);
      }
      current = null;
    }
  };

  const claim = async (): Promise<TrainingJobRow | null> => {
    try {
      return await claimNextJob(db);
    } catch (error) {
      logger.error("could not read the training queue; retrying later", { error: describeError(error) });
      return null;
    }
  };

  return {
    async start() {
      if (started) return;
      const interrupted = await failInterruptedJobs(db);
      if (interrupted.length > 0) logger.warn("training jobs interrupted by a restart marked failed", { jobs: interrupted });
      started = true;
      poll = setInterval(kick, options.pollIntervalMs ?? 30_000);
      poll.unref();
      kick();
    },
    async enqueue(job) {
      const row = await insertJob(db, job);
      const position = (await queuePositions(db)).get(row.id) ?? 0;
      logger.info("training job queued", { training_id: row.id, model_type: row.modelType, trigger: row.trigger, position });
      kick();
      return { job: row, position };
    },
    async idle() {
      while (draining !== null) await draining;
    },
    async stop() {
      stopped = true;
      if (poll !== null) clearInterval(poll);
      current?.abort(new Error("stopped: the backend is shutting down"));
      if (draining !== null) await withTimeout(draining, options.stopTimeoutMs ?? 10_000);
    },
  };
}

async function runJob(options: TrainingRunnerOptions, job: TrainingJobRow, signal: AbortSignal, logger: Logger): Promise<void> {
  const { db } = options;
  // A registry that cannot be read costs the fair comparison (stored figures are used), not the run.
  const champion = await championRecipe(db).catch(() => null);
  const req: TrainingRequest = { modelType: job.modelType, window: job.window, ...(champion ? { champion } : {}) };
  const progress = createProgressWriter({
    write: (fraction, message) => reportProgress(db, job.id, fraction, message),
    intervalMs: options.progressIntervalMs ?? 1000,
    onError: (error) => logger.warn("training progress not recorded", { training_id: job.id, error: describeError(error) }),
  });
  logger.info("training started", { training_id: job.id, model_type: req.modelType, window: req.window });
  let version: string | null = null;
  let outcome: JobOutcome;
  try {
    signal.throwIfAborted();
    const candidate = await options.trainer(req, progress.report, signal);
    await progress.close();
    version = candidate.version;
    outcome = await release(options, job, req, candidate);
  } catch (error) {
    await progress.close();
    outcome = { status: "failed", message: "failed", error: describeError(signal.aborted ? signal.reason : error), version };
  }
  await record(db, job.id, outcome, logger);
}

async function release(options: TrainingRunnerOptions, job: TrainingJobRow, req: TrainingRequest, c: TrainedCandidate): Promise<JobOutcome> {
  const { db } = options;
  await setJobVersion(db, job.id, c.version);
  const problems = await candidateProblems(c, req);
  if (problems.length > 0) throw new Error(`the trainer returned an unusable candidate: ${problems.join("; ")}`);
  const step = (message: string) => reportProgress(db, job.id, 1, message);
  const deps = { db, publisher: options.publisher, gate: options.gate ?? DEFAULT_GATE_CONFIG, ...(options.histories ? { histories: options.histories } : {}) };
  const released = await releaseCandidate(deps, c, { jobId: job.id, step });
  return { status: "succeeded", message: summary(released), version: c.version, metrics: c.metrics };
}

function summary(outcome: ReleaseOutcome): string {
  if (!outcome.promoted) return `${outcome.version} rejected by the gates: ${outcome.gate.reasons.join("; ")}`;
  return outcome.previous === null ? `${outcome.version} promoted to champion` : `${outcome.version} promoted to champion, replacing ${outcome.previous}`;
}

async function record(db: Db, id: string, outcome: JobOutcome, logger: Logger): Promise<void> {
  const fields = { training_id: id, message: outcome.message, ...(outcome.status === "failed" ? { error: outcome.error } : {}) };
  if (outcome.status === "failed") logger.error("training failed", fields);
  else logger.info("training finished", fields);
  try {
    await finishJob(db, id, outcome);
  } catch (error) {
    // The row stays 'running'; the next start-up marks it failed.
    logger.error("training outcome not recorded", { training_id: id, error: describeError(error) });
  }
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void work.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
