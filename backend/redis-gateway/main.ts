/**
 * Command-line entry for the local Upstash-compatible Redis gateway:
 *   tsx backend/redis-gateway/main.ts
 * Environment: REDIS_URL (redis://127.0.0.1:6379), UPSTASH_REDIS_REST_TOKEN (optional),
 * REDIS_GATEWAY_PORT (8079), REDIS_GATEWAY_HOST (127.0.0.1). Prints one line with its URL.
 */
import { checkRedis } from "./check-redis.js";
import { DEFAULT_GATEWAY_HOST, DEFAULT_GATEWAY_PORT, DEFAULT_REDIS_URL, startRedisGateway } from "./gateway.js";
import { redactRedisUrl } from "./protocol.js";

async function main(): Promise<void> {
  const env = process.env;
  const redisUrl = env.REDIS_URL || DEFAULT_REDIS_URL;
  const host = env.REDIS_GATEWAY_HOST || DEFAULT_GATEWAY_HOST;
  const port = parsePort(env.REDIS_GATEWAY_PORT);
  const token = env.UPSTASH_REDIS_REST_TOKEN || undefined;

  const check = await checkRedis(redisUrl);
  // Not fatal: the gateway reconnects by itself, so start order does not matter.
  if (!check.ok) console.error(`${check.message} Starting anyway; requests get 503 until Redis is up.`);

  const gateway = await startRedisGateway({ redisUrl, token, host, port }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EADDRINUSE") throw error;
    throw new Error(`${host}:${port} is already in use (another gateway running?); set REDIS_GATEWAY_PORT to another port`);
  });
  const auth = token ? "Bearer token required" : "no token required";
  console.log(`Redis REST gateway listening on ${gateway.url} -> ${redactRedisUrl(redisUrl)} (${auth})`);

  const stop = () => {
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function parsePort(value: string | undefined): number {
  if (!value) return DEFAULT_GATEWAY_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`REDIS_GATEWAY_PORT must be a port number (0-65535), got ${JSON.stringify(value)}`);
  }
  return port;
}

main().catch((error: unknown) => {
  console.error(`redis-gateway: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
