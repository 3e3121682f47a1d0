/**
 * Publishes the API key set (hashes only) to the edge: `PUT ${edgeUrl}/v1/admin/keys`
 * with the EDGE_ADMIN_TOKEN, so the edge verifies keys without calling the backend.
 * The backend usually starts before the edge, so connection failures, 5xx and 429 are
 * retried with capped exponential back-off; any other answer is final.
 */
import { KeySetSchema, type KeySet } from "../models/api-keys.js";
import { listPublishableKeys } from "./auth/api-key-store.js";
import type { Db } from "./db/client.js";
import { describeError, errorCode } from "./describe-error.js";

export interface PublishOptions {
  /** Attempts in all, including the first. Default 40 (a few minutes with the defaults below). */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per attempt. */
  timeoutMs?: number;
  /** Aborts the waiting between attempts and the attempt in flight (e.g. on shutdown). */
  signal?: AbortSignal;
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
}

export interface PublishResult {
  keys: number;
  attempts: number;
}

export class PublishError extends Error {
  override readonly name = "PublishError";
}

export async function publishKeySet(
  edgeUrl: string,
  edgeAdminToken: string,
  db: Db,
  options: PublishOptions = {},
): Promise<PublishResult> {
  // Validated here so a bad row fails loudly in the backend, not as a 400 at the edge.
  const keySet: KeySet = KeySetSchema.parse({ keys: await listPublishableKeys(db) });
  const attempts = options.attempts ?? 40;
  for (let attempt = 1; ; attempt++) {
    const outcome = await putOnce(edgeUrl, edgeAdminToken, keySet, options);
    if (outcome.ok) return { keys: keySet.keys.length, attempts: attempt };
    if (!outcome.retry || attempt >= attempts) {
      throw new PublishError(`publishing the key set to ${edgeUrl} failed after ${attempt} attempt(s): ${outcome.reason}`);
    }
    const delay = backoff(attempt, options);
    options.onRetry?.(attempt, outcome.reason, delay);
    await sleep(delay, options.signal);
  }
}

type Outcome = { ok: true } | { ok: false; retry: boolean; reason: string };

async function putOnce(edgeUrl: string, token: string, keySet: KeySet, options: PublishOptions): Promise<Outcome> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 5000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await fetch(`${edgeUrl}/v1/admin/keys`, {
      method: "PUT",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(keySet),
      signal,
    });
    await response.body?.cancel();
    if (response.ok) return { ok: true };
    const retry = response.status >= 500 || response.status === 429;
    return { ok: false, retry, reason: `edge answered ${response.status}` };
  } catch (error) {
    if (options.signal?.aborted) throw new PublishError("publishing the key set was cancelled");
    return { ok: false, retry: true, reason: errorCode(error) ?? describeError(error) };
  }
}

function backoff(attempt: number, options: PublishOptions): number {
  const base = options.baseDelayMs ?? 500;
  return Math.min(base * 2 ** (attempt - 1), options.maxDelayMs ?? 5000);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PublishError("publishing the key set was cancelled"));
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(new PublishError("publishing the key set was cancelled"));
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}
