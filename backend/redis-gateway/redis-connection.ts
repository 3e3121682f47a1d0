/**
 * The gateway's single ioredis connection, set up to fail fast: a request never waits in
 * an offline queue while Redis is down, it gets an "unavailable" error at once (or after
 * one short connection attempt), and the connection keeps retrying in the background so
 * the gateway recovers by itself when Redis comes back.
 */
import { Redis } from "ioredis";
import { redactRedisUrl, type RedisArg } from "./protocol.js";

/** Redis did not answer (down, unreachable, too slow): the gateway's 503, never a 400. */
export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

/** What the gateway needs of a Redis client: ioredis has it, and so does the embedded engine (memory-engine.ts). */
export interface CommandRunner {
  callBuffer(command: string, ...args: RedisArg[]): Promise<unknown>;
  pipeline(): CommandBatch;
  multi(): CommandBatch;
  ping(): Promise<unknown>;
}

export interface CommandBatch {
  callBuffer(command: string, ...args: RedisArg[]): unknown;
  exec(): Promise<Array<[error: Error | null, result: unknown]> | null>;
}

export interface RedisConnection {
  readonly client: CommandRunner;
  /** Resolves once commands can be written; rejects quickly with RedisUnavailableError. */
  whenReady(): Promise<void>;
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 1_500;
// Longer than any sane command, short enough that a wedged server does not hang requests.
const COMMAND_TIMEOUT_MS = 10_000;
const MAX_RETRY_DELAY_MS = 1_000;

/** Throws at once on a URL ioredis would misread (it silently treats garbage as a host name). */
export function assertRedisUrl(redisUrl: string): void {
  let protocol: string;
  try {
    protocol = new URL(redisUrl).protocol;
  } catch {
    throw new Error(`Redis URL ${JSON.stringify(redactRedisUrl(redisUrl))} is not a URL; expected redis://host:port`);
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new Error(`Redis URL ${redactRedisUrl(redisUrl)} must start with redis:// or rediss://`);
  }
}

export function openRedisConnection(redisUrl: string): RedisConnection {
  assertRedisUrl(redisUrl);
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    // 0 flushes in-flight commands with an error as soon as the connection drops,
    // instead of holding them for a resend after the reconnect.
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RETRY_DELAY_MS),
  });
  let lastError = "not connected yet";
  let closed = false;
  // Without a listener ioredis prints every failed reconnect as an unhandled error.
  client.on("error", (error: Error) => {
    lastError = error.message || error.name;
  });

  const whenReady = async (): Promise<void> => {
    if (closed) throw new RedisUnavailableError("the gateway is shutting down");
    if (client.status === "ready") return;
    if (client.status === "wait" || client.status === "end") client.connect().catch(() => undefined);
    else if (client.status !== "connecting" && client.status !== "connect") {
      // Between retries: the last attempt failed moments ago, so fail now.
      throw new RedisUnavailableError(lastError);
    }
    await waitForReady(client, CONNECT_TIMEOUT_MS + 250, () => lastError);
  };

  const close = async (): Promise<void> => {
    closed = true;
    // Only a live socket emits "end" on disconnect; between retries there is none, and
    // disconnect() just cancels the pending retry.
    const live = client.status === "connecting" || client.status === "connect" || client.status === "ready";
    const ended = live ? new Promise<void>((resolve) => client.once("end", () => resolve())) : Promise.resolve();
    client.disconnect();
    await Promise.race([ended, delay(1_000)]);
  };

  return { client, whenReady, close };
}

function waitForReady(client: Redis, timeoutMs: number, lastError: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => finish();
    const onClose = () => finish(new RedisUnavailableError(lastError()));
    const timer = setTimeout(() => finish(new RedisUnavailableError(`no answer within ${timeoutMs} ms`)), timeoutMs);
    client.on("ready", onReady);
    client.on("close", onClose);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
