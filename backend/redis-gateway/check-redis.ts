/**
 * A quick "is Redis there?" probe for start-up scripts and test set-up: one PING with a
 * short deadline, and on failure a single line saying which URL failed and how to fix it,
 * instead of a driver stack trace or a silent hang.
 */
import { Redis } from "ioredis";
import { isRedisReplyError, redactRedisUrl } from "./protocol.js";
import { assertRedisUrl } from "./redis-connection.js";

export type RedisCheck = { ok: true } | { ok: false; message: string };

const DEADLINE_MS = 1_500;
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export async function checkRedis(redisUrl: string): Promise<RedisCheck> {
  try {
    assertRedisUrl(redisUrl);
  } catch (error) {
    return { ok: false, message: `${(error as Error).message} (set REDIS_URL)` };
  }
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: DEADLINE_MS,
    retryStrategy: () => null,
  });
  // connect() rejects with a bare "Connection is closed."; the cause (ECONNREFUSED,
  // ENOTFOUND, ...) only arrives as an "error" event.
  let cause: Error | undefined;
  client.on("error", (error: Error) => {
    cause = error;
  });
  try {
    await withDeadline(
      client.connect().then(() => client.ping()),
      DEADLINE_MS,
    );
    return { ok: true };
  } catch (error) {
    return { ok: false, message: failureMessage(redisUrl, isRedisReplyError(error) ? error : (cause ?? error)) };
  } finally {
    client.disconnect();
  }
}

function failureMessage(redisUrl: string, error: unknown): string {
  const shown = redactRedisUrl(redisUrl);
  // The promise is one line; a multi-line driver message must not break it.
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
  if (isRedisReplyError(error)) {
    // It answered, so it is running; the URL's credentials or database are wrong.
    return `Redis at ${shown} refused the connection (${reason}). Check the user, password and database in REDIS_URL.`;
  }
  const url = new URL(redisUrl);
  if (!LOCAL_HOSTS.has(url.hostname)) {
    return `No Redis answers at ${shown} (${reason}). Check that the host is reachable, or set REDIS_URL.`;
  }
  const port = url.port || "6379";
  return (
    `No Redis answers at ${shown} (${reason}). Start one with: ` +
    `redis-server --daemonize yes --bind 127.0.0.1 --port ${port} --save "" --appendonly no  (or set REDIS_URL)`
  );
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  // The losing promise must not surface later as an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
