/**
 * A local HTTP server speaking the Upstash Vector REST protocol over an in-memory exact
 * index, so `@upstash/vector` works in development and tests exactly as it does against
 * Upstash. Routing, auth, body limits, status codes and the dispatch to the store live
 * here; parsing and reply shapes in protocol.ts, the index in store.ts, filters in filter.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  errorReply,
  isAuthorized,
  parseDelete,
  parseFetch,
  parseJsonBody,
  parseQueries,
  parseRange,
  parseUpdate,
  parseUpsert,
  resolveRoute,
  resultReply,
  splitRequestTarget,
  type DataCommand,
  type HttpReply,
  type Parsed,
  type QueryRequest,
} from "./protocol.js";
import { SIMILARITY_FUNCTIONS, VectorStore, type Outcome, type SimilarityFunction } from "./store.js";
import { ClientGoneError, closeServer, listen, readBody, send, TOO_LARGE, urlHost } from "../stand-ins/json-http-server.js";

export const DEFAULT_VECTOR_HOST = "127.0.0.1";
export const DEFAULT_VECTOR_PORT = 8080;
/** Upstash's own request limit is of this order; beyond it we answer 413. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface VectorServerOptions {
  /** When set, every request but /health needs `Authorization: Bearer <token>`. */
  token?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixes the index dimension up front; otherwise the first upsert sets it. */
  dimension?: number;
  /** COSINE unless told otherwise, as Upstash's console defaults to. */
  similarity?: SimilarityFunction;
}

export interface VectorServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface ServerContext {
  readonly token: string | undefined;
  readonly store: VectorStore;
}

export async function startVectorServer(opts: VectorServerOptions = {}): Promise<VectorServer> {
  validateOptions(opts);
  const host = opts.host || DEFAULT_VECTOR_HOST;
  const store = new VectorStore({ dimension: opts.dimension, similarity: opts.similarity });
  const context: ServerContext = { token: opts.token || undefined, store };
  const server = createServer((req, res) => {
    void handleRequest(req, res, context);
  });
  await listen(server, host, opts.port ?? DEFAULT_VECTOR_PORT);
  const port = (server.address() as AddressInfo).port;
  return { url: `http://${urlHost(host)}:${port}`, port, close: () => closeServer(server) };
}

/** A misconfigured server should fail at start, not answer every request with an error. */
function validateOptions(opts: VectorServerOptions): void {
  if (opts.dimension !== undefined && (!Number.isSafeInteger(opts.dimension) || opts.dimension < 1)) {
    throw new Error(`dimension must be a positive integer, got ${String(opts.dimension)}`);
  }
  if (opts.similarity !== undefined && !SIMILARITY_FUNCTIONS.includes(opts.similarity)) {
    throw new Error(`similarity must be one of ${SIMILARITY_FUNCTIONS.join(", ")}, got ${String(opts.similarity)}`);
  }
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, context: ServerContext): Promise<void> {
  try {
    send(res, await answer(req, context));
  } catch (error) {
    // The client hung up (mid-upload, say): there is nobody left to answer.
    if (error instanceof ClientGoneError || res.destroyed) return;
    // Only a bug in this server gets here: log it, and still answer.
    console.error("vector-server: unexpected error", error);
    send(res, errorReply(500, "Internal vector server error"));
  }
}

async function answer(req: IncomingMessage, context: ServerContext): Promise<HttpReply> {
  const method = req.method ?? "GET";
  const { path, query } = splitRequestTarget(req.url ?? "/");
  const route = resolveRoute(method, path, query);
  if (route.kind === "rejected") return errorReply(route.status, route.error);
  if (route.kind === "health") return { status: 200, body: { status: "ok" } };
  if (!isAuthorized(context.token, req.headers.authorization)) return errorReply(401, "Unauthorized: Invalid auth token");
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === TOO_LARGE) return errorReply(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`);
  const { store } = context;
  switch (route.kind) {
    case "info":
      return resultReply(store.info());
    case "list-namespaces":
      return resultReply(store.listNamespaces());
    case "delete-namespace":
      return fromOutcome(store.deleteNamespace(route.namespace));
    case "data":
      return runDataCommand(store, route.command, route.namespace, route.all, body);
  }
}

function runDataCommand(store: VectorStore, command: DataCommand, namespace: string, all: boolean, body: Buffer): HttpReply {
  if (command === "reset") {
    if (all) store.resetAll();
    else store.reset(namespace);
    return resultReply("Success");
  }
  const json = parseJsonBody(body);
  if (!json.ok) return errorReply(400, json.error);
  return DATA_HANDLERS[command](store, namespace, json.value);
}

type DataHandler = (store: VectorStore, namespace: string, json: unknown) => HttpReply;

const DATA_HANDLERS: Record<Exclude<DataCommand, "reset">, DataHandler> = {
  upsert: (store, namespace, json) =>
    withParsed(parseUpsert(json), (vectors) => {
      const outcome = store.upsert(namespace, vectors);
      return outcome.ok ? resultReply("Success") : errorReply(400, outcome.error);
    }),
  update: (store, namespace, json) => withParsed(parseUpdate(json), (patch) => fromOutcome(store.update(namespace, patch), (updated) => ({ updated }))),
  query: (store, namespace, json) => withParsed(parseQueries(json), ({ many, queries }) => runQueries(store, namespace, many, queries)),
  fetch: (store, namespace, json) =>
    withParsed(parseFetch(json), (request) =>
      resultReply("ids" in request ? store.fetch(namespace, request.ids, request.include) : store.fetchByPrefix(namespace, request.prefix, request.include)),
    ),
  delete: (store, namespace, json) =>
    withParsed(parseDelete(json), (request) => {
      const deleted = "ids" in request ? store.delete(namespace, request.ids) : store.deleteWhere(namespace, request);
      return resultReply({ deleted });
    }),
  range: (store, namespace, json) => withParsed(parseRange(json), (r) => resultReply(store.range(namespace, r.cursor, r.limit, r.prefix, r.include))),
};

function runQueries(store: VectorStore, namespace: string, many: boolean, queries: readonly QueryRequest[]): HttpReply {
  const results: unknown[] = [];
  for (const query of queries) {
    const outcome = store.query(namespace, query.vector, query.topK, query.filter, query.include);
    if (!outcome.ok) return errorReply(400, outcome.error);
    results.push(outcome.value);
  }
  return resultReply(many ? results : results[0]);
}

function withParsed<T>(parsed: Parsed<T>, then: (value: T) => HttpReply): HttpReply {
  return parsed.ok ? then(parsed.value) : errorReply(400, parsed.error);
}

function fromOutcome<T>(outcome: Outcome<T>, shape: (value: T) => unknown = (value) => value): HttpReply {
  return outcome.ok ? resultReply(shape(outcome.value)) : errorReply(400, outcome.error);
}
