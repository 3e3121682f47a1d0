/**
 * Evaluates the running canaries every CANARY_CHECK_MINUTES (0 disables), so a canary is
 * promoted or rolled back without anyone calling the evaluate route. A check still
 * running when the next is due is not doubled: the tick is skipped.
 */
import { describeError } from "../describe-error.js";
import { silentLogger, type Logger } from "../logger.js";
import type { CanaryEvaluation } from "./canary.js";

export interface CanarySchedulerOptions {
  evaluate: () => Promise<CanaryEvaluation[]>;
  /** 0 disables the timer. */
  intervalMinutes: number;
  logger?: Logger;
}

export interface CanaryScheduler {
  start(): void;
  /** One check; null when the previous one is still running. */
  tick(): Promise<CanaryEvaluation[] | null>;
  stop(): void;
}

export function createCanaryScheduler(options: CanarySchedulerOptions): CanaryScheduler {
  const logger = options.logger ?? silentLogger;
  let timer: ReturnType<typeof setInterval> | null = null;
  let busy = false;

  const tick = async (): Promise<CanaryEvaluation[] | null> => {
    if (busy) return null;
    busy = true;
    try {
      const evaluations = await options.evaluate();
      for (const e of evaluations) logEvaluation(logger, e);
      return evaluations;
    } finally {
      busy = false;
    }
  };

  return {
    start() {
      if (options.intervalMinutes <= 0 || timer !== null) return;
      timer = setInterval(() => {
        tick().catch((error: unknown) => logger.error("canary check failed", { error: describeError(error) }));
      }, options.intervalMinutes * 60_000);
      timer.unref();
    },
    tick,
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}

function logEvaluation(logger: Logger, e: CanaryEvaluation): void {
  const fields = { version: e.version, experiment_id: e.experimentId, outcome: e.outcome, reason: e.reason };
  if (e.outcome === "error") logger.error("canary check failed", fields);
  else if (e.outcome === "rolled_back") logger.warn("canary rolled back", fields);
  else logger.info(e.outcome === "promoted" ? "canary promoted" : "canary still running", fields);
}
