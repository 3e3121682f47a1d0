/**
 * Calls to the edge's admin API (`/v1/admin/...`, EDGE_ADMIN_TOKEN) with retries: the
 * backend often starts before the edge, and a deploy or a restart of the edge must not
 * fail a publish. Connection failures, 5xx and 429 are retried with capped exponential
 * back-off; any other answer is final and reported with the edge's error message.
 */
import { describeError, errorCode } from "../describe-error.js";

export interface RetryOptions {
  /** Attempts in all, including the first. Default 40 (a few minutes with the defaults below). */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
  /** Aborts the waiting between attempts and the attempt in flight (e.g. on shutdown). */
  signal?: AbortSignal;
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
}

export class PublishError extends Error {
  override readonly name = "PublishError";
}

export interface EdgeRequest {
  method: "GET" | "PUT" | "POST" | "DELETE";
  path: string;
  body?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  /** What is being done, for error messages: "publishing the key set". */
  what: string;
}

type Outcome = { ok: true; body: unknown; attempts: number } | { ok: false; retry: boolean; reason: string };

async function once(edgeUrl: string, token: string, req: EdgeRequest, options: RetryOptions): Promise<Outcome> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 5000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await fetch(`${edgeUrl}${req.path}`, {
      method: req.method,
      headers: {
        ...(req.contentType ? { "content-type": req.contentType } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...req.headers,
      },
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal,
    });
    const text = await response.text();
    const body: unknown = text ? safeJson(text) : null;
    if (response.ok) return { ok: true, body, attempts: 0 };
    const retry = response.status >= 500 || response.status === 429;
    const message = typeof body === "object" && body !== null && "error" in body ? JSON.stringify((body as { error: unknown }).error) : text.slice(0, 200);
    return { ok: false, retry, reason: `edge answered ${response.status}: ${message}` };
  } catch (error) {
    if (options.signal?.aborted) throw new PublishError(`${req.what} was cancelled`);
    return { ok: false, retry: true, reason: errorCode(error) ?? describeError(error) };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The parsed JSON answer (or null), after as many attempts as needed; throws PublishError. */
export async function sendToEdge(edgeUrl: string, token: string, req: EdgeRequest, options: RetryOptions = {}): Promise<{ body: unknown; attempts: number }> {
  const attempts = options.attempts ?? 40;
  for (let attempt = 1; ; attempt++) {
    const outcome = await once(edgeUrl, token, req, options);
    if (outcome.ok) return { body: outcome.body, attempts: attempt };
    if (!outcome.retry || attempt >= attempts) {
      throw new PublishError(`${req.what} at ${edgeUrl} failed after ${attempt} attempt(s): ${outcome.reason}`);
    }
    const delay = Math.min((options.baseDelayMs ?? 500) * 2 ** (attempt - 1), options.maxDelayMs ?? 5000);
    options.onRetry?.(attempt, outcome.reason, delay);
    await sleep(delay, options.signal, req.what);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PublishError(`${what} was cancelled`));
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(new PublishError(`${what} was cancelled`));
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}
