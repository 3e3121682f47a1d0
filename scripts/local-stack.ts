/**
 * The whole system on one machine: the Redis REST gateway, the Upstash Vector
 * stand-in and the backend in this process, the edge under `wrangler dev` as a child, demo data on an empty database.
 * `npm start` (scripts/start.ts) and the end-to-end tests and benchmarks use it.
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../backend/config.js";
import { createLogger } from "../backend/logger.js";
import { chooseRedisEngine, redisEngineFromEnv, type RedisEngine, type RedisEngineChoice } from "./redis-engine.js";
import type { RedisGateway } from "../backend/redis-gateway/gateway.js";
import { startRedisGatewayInThread } from "../backend/redis-gateway/gateway-in-thread.js";
import { startVectorServer } from "../backend/vector-server/server.js";
import { startBackend, type StartBackendOptions } from "../backend/server.js";
import { startEdge, type EdgeProcess } from "./edge-process.js";
import { startEdgeDirect } from "./edge-direct.js";
import { localSecrets, type LocalSecrets } from "./local-secrets.js";
import { pipelineTraining } from "../backend/training-jobs/pipeline-training.js";

export const LOCAL_IDP_ISSUER = "http://127.0.0.1/local-idp";
export const LOCAL_IDP_AUDIENCE = "edge-recs-local";

/** RATE_LIMIT_* from the shell reach the local edge, e.g. to raise them for a benchmark. */
function rateLimitOverrides(env: NodeJS.ProcessEnv): Record<string, string> {
  const names = ["RATE_LIMIT_USER_PER_MINUTE", "RATE_LIMIT_KEY_PER_MINUTE", "RATE_LIMIT_WINDOW_SECONDS"];
  return Object.fromEntries(names.flatMap((n) => (env[n] ? [[n, env[n]!]] : [])));
}

export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

export interface StackOptions {
  dataDir: string;
  edgePort: number;
  backendPort: number;
  gatewayPort: number;
  vectorPort: number;
  inspectorPort: number;
  redisUrl: string;
  /**
   * `redis`: the Redis at redisUrl, which must answer; `memory`: the gateway's embedded
   * in-memory engine (backend/redis-gateway/memory-engine.ts); `auto`: Redis if it
   * answers, else the embedded engine. Default `redis`.
   */
  redisEngine?: RedisEngineChoice;
  /** Empty: embedded PGlite under the data folder. */
  databaseUrl: string;
  /** Extra edge variables (e.g. a faster retry base in tests). */
  edgeVars?: Record<string, string>;
  /** `wrangler` (default: `wrangler dev`, as `npm start` runs it) or `direct` (Miniflare, no dev proxy; scripts/edge-direct.ts). */
  edgeRunner?: "wrangler" | "direct";
  log: (source: string, line: string) => void;
}

export interface LocalStack {
  /** What the gateway runs on: the Redis at REDIS_URL, or the embedded engine, in words for the banner. */
  redis: RedisEngine;
  edgeUrl: string;
  backendUrl: string;
  gatewayUrl: string;
  vectorUrl: string;
  secrets: LocalSecrets;
  stopBackend(): Promise<void>;
  startBackend(): Promise<void>;
  stop(): Promise<void>;
}

export class StackError extends Error {}

export function defaultStackOptions(env: NodeJS.ProcessEnv = process.env): StackOptions {
  return {
    dataDir: resolve(env.DATA_DIR || join(ROOT, ".data")),
    edgePort: Number(env.EDGE_PORT || 8787),
    backendPort: Number(env.PORT || 8788),
    gatewayPort: Number(env.REDIS_GATEWAY_PORT || 8079),
    vectorPort: Number(env.VECTOR_SERVER_PORT || 8790),
    inspectorPort: Number(env.EDGE_INSPECTOR_PORT || 9229),
    redisUrl: env.REDIS_URL || "redis://127.0.0.1:6379",
    // With no REDIS_URL, a laptop without Redis still starts (on the embedded engine).
    redisEngine: redisEngineFromEnv(env),
    databaseUrl: env.DATABASE_URL || "",
    log: (source, line) => console.log(`${source.padEnd(8)}| ${line}`),
  };
}

export async function startLocalStack(opts: StackOptions): Promise<LocalStack> {
  const redis = await chooseRedisEngine(opts.redisEngine ?? "redis", opts.redisUrl);
  const secrets = localSecrets(opts.dataDir);
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch(() => undefined);
  };
  try {
    // On a thread of its own: the backend's work never sits in front of the edge's reads.
    const gateway: RedisGateway = await startRedisGatewayInThread({
      redisUrl: opts.redisUrl,
      engine: redis.engine,
      token: secrets.redisToken,
      port: opts.gatewayPort,
    });
    stoppers.push(() => gateway.close());
    opts.log("redis", `Upstash REST gateway ${gateway.url} -> ${redis.description}`);
    if (redis.engine === "memory") {
      opts.log("redis", "the embedded engine keeps live features in memory: they start empty on every start (start a Redis server to keep them)");
    }
    // The stand-in for Upstash Vector (exact search, in memory); item vectors are
    // published to it by training runs.
    // DOT_PRODUCT: retrieval scores are iALS dot products (create the Upstash index so too).
    const vectors = await startVectorServer({ token: secrets.vectorToken, port: opts.vectorPort, similarity: "DOT_PRODUCT" });
    stoppers.push(() => vectors.close());
    opts.log("vector", `Upstash Vector stand-in ${vectors.url}`);

    const edgeUrl = `http://127.0.0.1:${opts.edgePort}`;
    const backendConfig = loadConfig({
      ...process.env,
      PORT: String(opts.backendPort),
      HOST: "127.0.0.1",
      DATABASE_URL: opts.databaseUrl,
      DATA_DIR: opts.dataDir,
      UPSTASH_REDIS_REST_URL: gateway.url,
      UPSTASH_REDIS_REST_TOKEN: secrets.redisToken,
      EDGE_URL: edgeUrl,
      EDGE_ADMIN_TOKEN: secrets.edgeAdminToken,
      BACKEND_TOKEN: secrets.backendToken,
      RECS_LOCAL_ADMIN_KEY: secrets.adminKey,
      RECS_LOCAL_CLIENT_KEY: secrets.clientKey,
      MODEL_SIGNING_KEY: secrets.modelSigningKey,
      UPSTASH_VECTOR_REST_URL: vectors.url,
      UPSTASH_VECTOR_REST_TOKEN: secrets.vectorToken,
      // The stack trains once its data is loaded (start.ts, trainFirstModel), not at boot.
      TRAIN_ON_START: "false",
    });
    const backendOptions: StartBackendOptions = {
      logger: createLogger((_level, line) => opts.log("backend", line)),
      training: pipelineTraining(backendConfig),
    };
    let backend: Awaited<ReturnType<typeof startBackend>> | null = await startBackend(backendConfig, backendOptions);
    opts.log("backend", `listening on ${backend.url} (${opts.databaseUrl ? "Postgres at DATABASE_URL" : "embedded PGlite"})`);
    stoppers.push(async () => {
      await backend?.close();
      backend = null;
    });

    const edge: EdgeProcess = await (opts.edgeRunner === "direct" ? startEdgeDirect : startEdge)({
      root: ROOT,
      port: opts.edgePort,
      inspectorPort: opts.inspectorPort,
      persistTo: join(opts.dataDir, "wrangler"),
      vars: {
        UPSTASH_REDIS_REST_URL: gateway.url,
        UPSTASH_REDIS_REST_TOKEN: secrets.redisToken,
        UPSTASH_VECTOR_REST_URL: vectors.url,
        UPSTASH_VECTOR_REST_TOKEN: secrets.vectorToken,
        BACKEND_URL: backend.url,
        BACKEND_TOKEN: secrets.backendToken,
        EDGE_ADMIN_TOKEN: secrets.edgeAdminToken,
        SESSION_TOKEN_SECRET: secrets.sessionTokenSecret,
        MODEL_SIGNING_KEY: secrets.modelSigningKey,
        // End-user JWTs from a stand-in identity provider: sign HS256 tokens with this
        // secret, iss and aud below, to call the edge as a user (README, "Credentials").
        AUTH_JWT_SECRET: secrets.idpJwtSecret,
        AUTH_JWT_ISSUER: LOCAL_IDP_ISSUER,
        AUTH_JWT_AUDIENCE: LOCAL_IDP_AUDIENCE,
        ...rateLimitOverrides(process.env),
        ...opts.edgeVars,
      },
      log: opts.log,
    });
    stoppers.push(() => edge.stop());

    return {
      redis,
      edgeUrl: edge.url,
      backendUrl: `http://127.0.0.1:${opts.backendPort}`,
      gatewayUrl: gateway.url,
      vectorUrl: vectors.url,
      secrets,
      stopBackend: async () => {
        await backend?.close();
        backend = null;
      },
      startBackend: async () => {
        if (!backend) backend = await startBackend(backendConfig, backendOptions);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
