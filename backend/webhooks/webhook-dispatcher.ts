/**
 * Sends queued webhook deliveries: every `pollMs` (and at once after `kick()`), claims
 * the due ones, POSTs each signed, and records the outcome. A 2xx delivers; anything
 * else (another status, a redirect, a timeout, a refused connection) is retried after
 * retryBaseMs · 2^(attempt − 1), capped at maxRetryMs, until maxAttempts have failed.
 * Delivery is at least once: receivers deduplicate by the `X-Recs-Event-Id` header.
 */
import { describeError } from "../describe-error.js";
import type { Db } from "../db/client.js";
import { silentLogger, type Logger } from "../logger.js";
import { signatureHeader, SIGNATURE_HEADER } from "./webhook-signature.js";
import { claimDue, recordAttempt, type AttemptOutcome, type DueDelivery } from "./webhook-store.js";

export interface WebhookDispatcherOptions {
  db: Db;
  logger?: Logger;
  pollMs?: number;
  retryBaseMs?: number;
  maxRetryMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  /** Called with each attempt's outcome (metrics). */
  onAttempt?: (eventType: string, outcome: "delivered" | "retry" | "failed") => void;
}

export const WEBHOOK_DEFAULTS = { pollMs: 2_000, retryBaseMs: 30_000, maxRetryMs: 3_600_000, maxAttempts: 8, timeoutMs: 10_000 } as const;
const CLAIM_BATCH = 20;

export interface WebhookDispatcher {
  start(): void;
  /** One pass: sends what is due now; returns the number of attempts made. */
  tick(): Promise<number>;
  /** Asks for a pass soon (after a change that queued deliveries). */
  kick(): void;
  stop(): Promise<void>;
}

/** The wait before retry number `attempt` (1 = the first retry). */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { db, logger = silentLogger, pollMs = WEBHOOK_DEFAULTS.pollMs, timeoutMs = WEBHOOK_DEFAULTS.timeoutMs } = options;
  const { retryBaseMs = WEBHOOK_DEFAULTS.retryBaseMs, maxRetryMs = WEBHOOK_DEFAULTS.maxRetryMs, maxAttempts = WEBHOOK_DEFAULTS.maxAttempts } = options;
  let timer: ReturnType<typeof setInterval> | null = null;
  let running: Promise<number> | null = null;
  let again = false;

  const attempt = async (d: DueDelivery): Promise<void> => {
    const outcome = await send(d, timeoutMs);
    const attemptNo = d.attempts + 1;
    const final: AttemptOutcome = outcome.delivered
      ? outcome
      : { ...outcome, retryAt: attemptNo >= maxAttempts ? null : new Date(Date.now() + retryDelayMs(attemptNo, retryBaseMs, maxRetryMs)) };
    await recordAttempt(db, d.id, final);
    const label = final.delivered ? "delivered" : final.retryAt ? "retry" : "failed";
    options.onAttempt?.(d.eventType, label);
    const fields = { delivery_id: d.id, event: d.eventType, attempt: attemptNo, url: d.url };
    if (final.delivered) logger.info("webhook delivered", { ...fields, status: final.statusCode });
    else logger.warn(final.retryAt ? "webhook delivery failed; will retry" : "webhook delivery failed for good", { ...fields, error: final.error });
  };

  const pass = async (): Promise<number> => {
    let made = 0;
    for (;;) {
      // Leased for longer than one attempt can take, so a slow receiver is not sent to twice.
      const due = await claimDue(db, CLAIM_BATCH, timeoutMs * 3);
      await Promise.all(due.map(attempt));
      made += due.length;
      if (due.length < CLAIM_BATCH) return made;
    }
  };

  const tick = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = pass()
      .catch((error: unknown) => {
        logger.error("webhook dispatch failed", { error: describeError(error) });
        return 0;
      })
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          void tick();
        }
      });
    return running;
  };

  return {
    start() {
      if (timer !== null) return;
      timer = setInterval(() => void tick(), pollMs);
      timer.unref();
    },
    tick,
    kick() {
      void tick();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      again = false;
      await running;
    },
  };
}

async function send(
  d: DueDelivery,
  timeoutMs: number,
): Promise<{ delivered: true; statusCode: number } | { delivered: false; statusCode: number | null; error: string }> {
  const body = JSON.stringify(d.payload);
  try {
    const res = await fetch(d.url, {
      method: "POST",
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "edge-recs-webhooks/1",
        "x-recs-event": d.eventType,
        "x-recs-event-id": d.eventId,
        "x-recs-delivery": String(d.id),
        [SIGNATURE_HEADER]: signatureHeader(d.secret, Math.floor(Date.now() / 1000), body),
      },
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { delivered: true, statusCode: res.status };
    return { delivered: false, statusCode: res.status, error: `receiver answered ${res.status}` };
  } catch (error) {
    return { delivered: false, statusCode: null, error: describeError(error) };
  }
}
