/**
 * A local HTTP server speaking the Upstash Redis REST protocol in front of a real Redis,
 * so `@upstash/redis` (worker and backend) works in development and tests exactly as it
 * does against Upstash. Routing, auth, body limits and status codes live here; parsing
 * and encoding in protocol.ts, running commands in execute.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { executePlan } from "./execute.js";
import {
  errorReply,
  findUnsupported,
  isAuthorized,
  parseRequestCommands,
  resolveRoute,
  responseFormatError,
  splitRequestTarget,
  unavailableMessage,
  wantsBase64,
  type HttpReply,
} from "./protocol.js";
import { openMemoryConnection } from "./memory-engine.js";
import { openRedisConnection, RedisUnavailableError, type RedisConnection } from "./redis-connection.js";
import { ClientGoneError, closeServer, listen, readBody, send, TOO_LARGE, urlHost } from "../stand-ins/json-http-server.js";

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
export const DEFAULT_GATEWAY_HOST = "127.0.0.1";
export const DEFAULT_GATEWAY_PORT = 8079;
/** Upstash's own limit for a request is of this order; beyond it we answer 413. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface RedisGatewayOptions {
  redisUrl?: string;
  /** `memory`: the embedded in-memory engine (memory-engine.ts) instead of a Redis server; redisUrl is then unused. */
  engine?: "redis" | "memory";
  /** When set, every request but /health needs `Authorization: Bearer <token>` or `?_token=`. */
  token?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface RedisGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface GatewayContext {
  readonly redisUrl: string;
  readonly token: string | undefined;
  readonly redis: RedisConnection;
}

export async function startRedisGateway(opts: RedisGatewayOptions = {}): Promise<RedisGateway> {
  const redisUrl = opts.redisUrl || DEFAULT_REDIS_URL;
  const host = opts.host || DEFAULT_GATEWAY_HOST;
  const redis = opts.engine === "memory" ? openMemoryConnection() : openRedisConnection(redisUrl);
  const context: GatewayContext = { redisUrl, token: opts.token || undefined, redis };
  const server = createServer((req, res) => {
    void handleRequest(req, res, context);
  });
  try {
    await listen(server, host, opts.port ?? DEFAULT_GATEWAY_PORT);
  } catch (error) {
    await redis.close();
    throw error;
  }
  // Connect up front so the first request does not pay for it; a Redis that is down is
  // not a start-up failure, requests get 503 until it is back.
  await redis.whenReady().catch(() => undefined);
  const port = (server.address() as AddressInfo).port;
  return { url: `http://${urlHost(host)}:${port}`, port, close: () => closeGateway(server, redis) };
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, context: GatewayContext): Promise<void> {
  try {
    send(res, await answer(req, context));
  } catch (error) {
    // The client hung up (mid-upload, say): there is nobody left to answer.
    if (error instanceof ClientGoneError || res.destroyed) return;
    if (error instanceof RedisUnavailableError) {
      send(res, errorReply(503, unavailableMessage(context.redisUrl, error.message)));
      return;
    }
    // Only a bug in this gateway gets here: log it, and still answer.
    console.error("redis-gateway: unexpected error", error);
    send(res, errorReply(500, "Internal gateway error"));
  }
}

async function answer(req: IncomingMessage, context: GatewayContext): Promise<HttpReply> {
  const method = req.method ?? "GET";
  const { path, query } = splitRequestTarget(req.url ?? "/");
  const route = resolveRoute(method, path);
  if (route.kind === "rejected") return errorReply(route.status, route.error);
  if (route.kind === "health") return health(context);
  if (!isAuthorized(context.token, req.headers.authorization, query.get("_token"))) return errorReply(401, "Unauthorized");
  const formatError = responseFormatError(req.headers["upstash-response-format"]);
  if (formatError) return errorReply(400, formatError);
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === TOO_LARGE) return errorReply(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`);
  const plan = parseRequestCommands(route, { method, path, query, body });
  if (!plan.ok) return errorReply(400, plan.error);
  const unsupported = findUnsupported(plan.value);
  if (unsupported) return errorReply(400, unsupported);
  await context.redis.whenReady();
  return executePlan(context.redis.client, plan.value, wantsBase64(req.headers["upstash-encoding"]));
}

async function health(context: GatewayContext): Promise<HttpReply> {
  try {
    await context.redis.whenReady();
    await context.redis.client.ping();
    return { status: 200, body: { status: "ok" } };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { status: 503, body: { status: "unavailable", error: unavailableMessage(context.redisUrl, reason) } };
  }
}

async function closeGateway(server: Server, redis: RedisConnection): Promise<void> {
  await closeServer(server);
  await redis.close();
}
