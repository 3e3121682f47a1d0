/**
 * Keeps the edge's copy of the key set current: right after every key change (so a
 * revocation reaches the edge within its 30 s cache TTL), once at start-up, and every
 * minute — which both retries a publication that failed while the edge was down and
 * drops keys that have since expired.
 *
 * Publications run one at a time, in order, each reading the set fresh from Postgres,
 * so an older set can never overwrite a newer one at the edge. The patient start-up
 * publication (it may retry for minutes while the edge boots) is cancelled by any
 * newer publication rather than holding it up: the newer one carries everything.
 */
import { describeError } from "../describe-error.js";
import { publishKeySet } from "../edge-publisher.js";
import type { Db } from "../db/client.js";
import { silentLogger, type Logger } from "../logger.js";
import type { RetryOptions } from "../publish/edge-admin-client.js";

export type KeyPublication = { status: "published"; keys: number } | { status: "pending"; reason: string };

export interface KeySetPublisher {
  /** Publishes the current set; never throws. "pending" means the periodic publication will retry. */
  publishNow(): Promise<KeyPublication>;
  /** The start-up publication with its own (patient) retries; cancelled by any later publication. */
  publishAtStartup(retry?: RetryOptions): Promise<KeyPublication>;
  /** Starts the periodic publication. */
  start(): void;
  /** Stops the timer and cancels what is in flight. */
  stop(): void;
}

export interface KeySetPublisherOptions {
  db: Db;
  edgeUrl: string;
  edgeAdminToken: string;
  logger?: Logger;
  /** Default one minute; 0 disables the timer. */
  intervalMs?: number;
  /** For publications after a change: a request waits for them, so they give up quickly. */
  retry?: RetryOptions;
}

/** A key change answers within a few seconds even when the edge is down. */
const INTERACTIVE_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 250, maxDelayMs: 1000, timeoutMs: 3000 };
const STARTUP_RETRY: RetryOptions = { attempts: 40, baseDelayMs: 500, maxDelayMs: 5000 };

export function createKeySetPublisher(options: KeySetPublisherOptions): KeySetPublisher {
  const logger = options.logger ?? silentLogger;
  const stopping = new AbortController();
  let queue: Promise<unknown> = Promise.resolve();
  let startup: AbortController | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let tickQueued = false;

  // Logged when the state changes, not every minute while the edge stays down (a backend run without an edge, locally).
  let failing = false;

  const attempt = async (retry: RetryOptions, signal: AbortSignal): Promise<KeyPublication> => {
    try {
      const result = await publishKeySet(options.edgeUrl, options.edgeAdminToken, options.db, { ...retry, signal });
      if (failing) logger.info("key set published to the edge again", { edge: options.edgeUrl, keys: result.keys });
      failing = false;
      return { status: "published", keys: result.keys };
    } catch (error) {
      const reason = describeError(error);
      if (!signal.aborted && !failing) logger.error("key set not published to the edge; retrying every minute", { edge: options.edgeUrl, error: reason });
      if (!signal.aborted) failing = true;
      return { status: "pending", reason };
    }
  };

  const enqueue = (work: () => Promise<KeyPublication>): Promise<KeyPublication> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };

  const publishNow = (): Promise<KeyPublication> => {
    startup?.abort();
    return enqueue(() => attempt(options.retry ?? INTERACTIVE_RETRY, stopping.signal));
  };

  return {
    publishNow,
    publishAtStartup(retry = STARTUP_RETRY) {
      const controller = new AbortController();
      startup = controller;
      return enqueue(() => attempt(retry, AbortSignal.any([controller.signal, stopping.signal])));
    },
    start() {
      const intervalMs = options.intervalMs ?? 60_000;
      if (intervalMs <= 0 || timer !== null) return;
      timer = setInterval(() => {
        // A tick still waiting behind a slow publication is enough; do not pile more up.
        if (tickQueued) return;
        tickQueued = true;
        void publishNow().finally(() => {
          tickQueued = false;
        });
      }, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      stopping.abort();
    },
  };
}

/** For an app with no edge to publish to (some tests, tools): every change reports itself pending. */
export const unconfiguredKeyPublisher: KeySetPublisher = {
  publishNow: async () => ({ status: "pending", reason: "no edge is configured for key publication" }),
  publishAtStartup: async () => ({ status: "pending", reason: "no edge is configured for key publication" }),
  start() {},
  stop() {},
};
