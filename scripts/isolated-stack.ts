/**
 * The whole local stack for an end-to-end test or a benchmark: its own ports, data
 * folder, Postgres database (a fresh one on the local server) and Redis database, so
 * it never meets `npm start` or another run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis as IORedis } from "ioredis";
import { createTestDatabase, type TestDatabase } from "../backend/test-support/postgres.js";
import { startLocalStack, type LocalStack } from "./local-stack.js";
import { waitForKeys } from "./stack-readiness.js";

export interface IsolatedStack extends LocalStack {
  database: TestDatabase;
  /** The stack's data folder (the edge's persisted KV, R2 and Durable Objects under `wrangler/`). */
  dataDir: string;
  logs: string[];
  teardown(): Promise<void>;
}

export interface IsolatedStackOptions {
  /** Empty the Redis database first. Default true; false keeps what an earlier stack left there. */
  flushRedis?: boolean;
  /** Folder to create the data folder in; default the system's temporary folder. */
  dataRoot?: string;
  /** How the edge runs (StackOptions.edgeRunner); default `wrangler dev`. */
  edgeRunner?: "wrangler" | "direct";
  /** `memory`: the gateway's embedded engine instead of Redis database `redisDb` (which is then untouched). */
  redisEngine?: "redis" | "memory";
  /** More wrangler vars for the edge, over the ones every test stack sets. */
  edgeVars?: Record<string, string>;
}

export async function startIsolatedStack(
  portBase: number,
  redisDb: number,
  log?: (source: string, line: string) => void,
  options: IsolatedStackOptions = {},
): Promise<IsolatedStack> {
  const redisUrl = `redis://127.0.0.1:6379/${redisDb}`;
  const redisEngine = options.redisEngine ?? "redis";
  if (redisEngine === "redis" && (options.flushRedis ?? true)) {
    const flush = new IORedis(redisUrl);
    await flush.flushdb();
    await flush.quit();
  }
  const database = await createTestDatabase();
  const dataDir = mkdtempSync(join(options.dataRoot ?? tmpdir(), "recs-e2e-"));
  const logs: string[] = [];
  const stack = await startLocalStack({
    dataDir,
    edgePort: portBase,
    backendPort: portBase + 1,
    gatewayPort: portBase + 2,
    inspectorPort: portBase + 3,
    vectorPort: portBase + 4,
    redisUrl,
    redisEngine,
    databaseUrl: database.url,
    // Benchmarks and end-to-end tests drive one API key hard: they measure the service, not its limiter.
    edgeVars: { RETRY_BASE_SECONDS: "1", RATE_LIMIT_KEY_PER_MINUTE: "10000000", ...options.edgeVars },
    log: log ?? ((source, line) => logs.push(`${source}| ${line}`)),
    ...(options.edgeRunner ? { edgeRunner: options.edgeRunner } : {}),
  });
  await waitForKeys(stack.edgeUrl, stack.secrets.clientKey);
  return {
    ...stack,
    database,
    dataDir,
    logs,
    teardown: async () => {
      await stack.stop();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function authed(key: string, json?: unknown): RequestInit {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (json === undefined) return { headers };
  headers["content-type"] = "application/json";
  return { method: "POST", headers, body: JSON.stringify(json) };
}

export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== null) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}
