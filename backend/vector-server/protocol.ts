/**
 * The Upstash Vector REST protocol as pure functions, for the local stand-in server:
 * which endpoint (and namespace) a request is for, how each endpoint's JSON body is read
 * and validated, and how replies and errors are shaped (`{"result": ...}` or
 * `{"error": "...", "status": n}`, which is what `@upstash/vector` parses). Nothing here
 * does I/O; every rule is unit-tested on its own. Field errors name the field.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { parseFilter, type FilterNode } from "./filter.js";
import type { Include, Metadata, NewVector, VectorPatch } from "./store.js";
import type { HttpReply, Parsed } from "../stand-ins/json-http-server.js";

export type { HttpReply };

export type { Parsed };

/** Endpoints that work on one namespace: `/<name>` is the default one, `/<name>/<ns>` another. */
export type DataCommand = "upsert" | "update" | "query" | "fetch" | "delete" | "range" | "reset";

export type Route =
  | { readonly kind: "health" }
  | { readonly kind: "data"; readonly command: DataCommand; readonly namespace: string; readonly all: boolean }
  | { readonly kind: "info" }
  | { readonly kind: "list-namespaces" }
  | { readonly kind: "delete-namespace"; readonly namespace: string }
  | { readonly kind: "rejected"; readonly status: 400 | 404 | 405; readonly error: string };

export interface QueryRequest {
  readonly vector: readonly number[];
  readonly topK: number;
  readonly filter: FilterNode | undefined;
  readonly include: Include;
}

export type FetchRequest = { readonly ids: readonly string[]; readonly include: Include } | { readonly prefix: string; readonly include: Include };

export type DeleteRequest = { readonly ids: readonly string[] } | { readonly prefix: string } | { readonly filter: FilterNode | undefined };

export interface RangeRequest {
  readonly cursor: number;
  readonly limit: number;
  readonly prefix: string | undefined;
  readonly include: Include;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

// Upstash documents exactly these; anything else is a 405 there too.
const ALLOWED_METHODS = new Set(["GET", "HEAD", "POST", "PUT"]);
const DATA_COMMANDS = new Set<string>(["upsert", "update", "query", "fetch", "delete", "range", "reset"]);
const EMBEDDING_COMMANDS = new Set(["upsert-data", "query-data", "resumable-query-data"]);
const RESUMABLE_COMMANDS = new Set(["resumable-query", "resumable-query-next", "resumable-query-end"]);
export const DEFAULT_TOP_K = 10;
/** Deeper metadata could overflow the stack when it is serialised back; Upstash has limits too. */
export const MAX_METADATA_DEPTH = 32;

/** Splits a raw request target without `new URL`, which would read `//x` as a host name. */
export function splitRequestTarget(rawUrl: string): { path: string; query: URLSearchParams } {
  const queryStart = rawUrl.indexOf("?");
  const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
  const query = new URLSearchParams(queryStart === -1 ? "" : rawUrl.slice(queryStart + 1));
  return { path: path.startsWith("/") ? path : `/${path}`, query };
}

export function resolveRoute(method: string, path: string, query: URLSearchParams): Route {
  const verb = method.toUpperCase();
  if (!ALLOWED_METHODS.has(verb)) return { kind: "rejected", status: 405, error: `Method ${verb} not allowed; use GET, HEAD, POST or PUT` };
  if (path === "/health") return { kind: "health" };
  const slash = path.indexOf("/", 1);
  const name = slash === -1 ? path.slice(1) : path.slice(1, slash);
  const rawNamespace = slash === -1 ? "" : path.slice(slash + 1);
  let namespace: string;
  try {
    namespace = decodeURIComponent(rawNamespace);
  } catch {
    return { kind: "rejected", status: 400, error: `Namespace ${JSON.stringify(rawNamespace)} is not valid percent-encoding` };
  }
  return routeByName(name, namespace, query);
}

function routeByName(name: string, namespace: string, query: URLSearchParams): Route {
  if (DATA_COMMANDS.has(name)) return { kind: "data", command: name as DataCommand, namespace, all: name === "reset" && query.has("all") };
  if (name === "info" || name === "list-namespaces") {
    if (namespace !== "") return { kind: "rejected", status: 400, error: `/${name} takes no namespace` };
    return { kind: name };
  }
  if (name === "delete-namespace") {
    if (namespace === "") return { kind: "rejected", status: 400, error: "delete-namespace needs a namespace: /delete-namespace/<namespace>" };
    return { kind: "delete-namespace", namespace };
  }
  if (EMBEDDING_COMMANDS.has(name)) {
    return {
      kind: "rejected",
      status: 400,
      error: `/${name} needs an embedding model; this local index has none, so send vectors (upsert/query with "vector")`,
    };
  }
  if (RESUMABLE_COMMANDS.has(name)) return { kind: "rejected", status: 400, error: `/${name} (resumable queries) is not supported by the local vector server` };
  return { kind: "rejected", status: 404, error: `Unknown endpoint /${name}` };
}

export function parseJsonBody(body: Buffer): Parsed<unknown> {
  if (body.length === 0) return fail("Request body is empty; expected JSON");
  try {
    return ok(JSON.parse(body.toString("utf8")) as unknown);
  } catch (error) {
    // JSON.parse also throws RangeError on absurd nesting; both are the client's fault.
    return fail(`Request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** One vector or an array of them; the whole batch is refused if any entry is wrong. */
export function parseUpsert(value: unknown): Parsed<NewVector[]> {
  const items = Array.isArray(value) ? value : [value];
  const label = (i: number) => (Array.isArray(value) ? `vectors[${i}]` : "vector");
  const vectors: NewVector[] = [];
  for (const [index, item] of items.entries()) {
    const parsed = parseNewVector(item, label(index));
    if (!parsed.ok) return parsed;
    vectors.push(parsed.value);
  }
  return ok(vectors);
}

function parseNewVector(value: unknown, label: string): Parsed<NewVector> {
  if (!isObject(value)) return fail(`${label} must be an object like {"id": "a", "vector": [0.1, 0.2]}, got ${describeJsonType(value)}`);
  if (value.sparseVector !== undefined) return fail(`${label}.sparseVector: sparse vectors are not supported; this is a dense index`);
  const id = parseId(value.id, `${label}.id`);
  if (!id.ok) return id;
  if (value.vector === undefined) {
    return fail(`${label}.vector is missing; raw "data" needs an embedding model, which this local index does not have`);
  }
  const vector = parseVector(value.vector, `${label}.vector`);
  if (!vector.ok) return vector;
  const metadata = parseMetadata(value.metadata, `${label}.metadata`);
  if (!metadata.ok) return metadata;
  const data = parseOptionalString(value.data, `${label}.data`);
  if (!data.ok) return data;
  return ok(withoutUndefined({ id: id.value, vector: vector.value, metadata: metadata.value, data: data.value }));
}

export function parseUpdate(value: unknown): Parsed<VectorPatch> {
  if (!isObject(value)) return fail(`update body must be an object like {"id": "a", "metadata": {...}}, got ${describeJsonType(value)}`);
  if (value.sparseVector !== undefined) return fail("sparseVector: sparse vectors are not supported; this is a dense index");
  const id = parseId(value.id, "id");
  if (!id.ok) return id;
  const vector = value.vector === undefined ? ok(undefined) : parseVector(value.vector, "vector");
  if (!vector.ok) return vector;
  const metadata = parseMetadata(value.metadata, "metadata");
  if (!metadata.ok) return metadata;
  const data = parseOptionalString(value.data, "data");
  if (!data.ok) return data;
  const mode = value.metadataUpdateMode ?? "OVERWRITE";
  if (mode !== "OVERWRITE" && mode !== "PATCH") return fail(`metadataUpdateMode must be "OVERWRITE" or "PATCH", got ${JSON.stringify(mode)}`);
  return ok(withoutUndefined({ id: id.value, vector: vector.value, metadata: metadata.value, data: data.value, metadataUpdateMode: mode }));
}

/** One query object, or an array of them (queryMany), answered with an array of result lists. */
export function parseQueries(value: unknown): Parsed<{ many: boolean; queries: QueryRequest[] }> {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) return fail("query body is an empty array; send at least one query");
  const queries: QueryRequest[] = [];
  for (const [index, item] of items.entries()) {
    const parsed = parseQuery(item, Array.isArray(value) ? `queries[${index}].` : "");
    if (!parsed.ok) return parsed;
    queries.push(parsed.value);
  }
  return ok({ many: Array.isArray(value), queries });
}

function parseQuery(value: unknown, prefix: string): Parsed<QueryRequest> {
  if (!isObject(value)) return fail(`${prefix || "query body "}must be an object like {"vector": [...], "topK": 5}, got ${describeJsonType(value)}`);
  if (value.sparseVector !== undefined) return fail(`${prefix}sparseVector: sparse vectors are not supported; this is a dense index`);
  if (value.vector === undefined) return fail(`${prefix}vector is missing; querying by "data" needs an embedding model, which this local index does not have`);
  const vector = parseVector(value.vector, `${prefix}vector`);
  if (!vector.ok) return vector;
  const topK = parsePositiveInteger(value.topK ?? DEFAULT_TOP_K, `${prefix}topK`);
  if (!topK.ok) return topK;
  const filter = parseFilterField(value.filter, `${prefix}filter`);
  if (!filter.ok) return filter;
  const include = parseInclude(value, prefix);
  if (!include.ok) return include;
  return ok({ vector: vector.value, topK: topK.value, filter: filter.value, include: include.value });
}

export function parseFetch(value: unknown): Parsed<FetchRequest> {
  const body = Array.isArray(value) ? { ids: value } : value;
  if (!isObject(body)) return fail(`fetch body must be an object like {"ids": ["a"]}, got ${describeJsonType(value)}`);
  const include = parseInclude(body, "");
  if (!include.ok) return include;
  if (body.ids === undefined && body.prefix !== undefined) {
    const prefix = parseOptionalString(body.prefix, "prefix");
    return prefix.ok ? ok({ prefix: prefix.value ?? "", include: include.value }) : prefix;
  }
  const ids = parseIds(body.ids, "ids");
  return ids.ok ? ok({ ids: ids.value, include: include.value }) : ids;
}

/** An id, an array of ids, or `{ids}`, `{prefix}` or `{filter}` (the client sends all four). */
export function parseDelete(value: unknown): Parsed<DeleteRequest> {
  if (typeof value === "string" || typeof value === "number") return parseDelete([value]);
  if (Array.isArray(value)) {
    const ids = parseIds(value, "ids");
    return ids.ok ? ok({ ids: ids.value }) : ids;
  }
  if (!isObject(value)) return fail(`delete body must be an array of ids or an object with ids, prefix or filter, got ${describeJsonType(value)}`);
  if (value.ids !== undefined) return parseDelete(value.ids);
  if (value.prefix !== undefined) {
    if (typeof value.prefix !== "string") return fail(`prefix must be a string, got ${describeJsonType(value.prefix)}`);
    return ok({ prefix: value.prefix });
  }
  if (value.filter !== undefined) {
    const filter = parseFilterField(value.filter, "filter");
    if (!filter.ok) return filter;
    // An empty filter would delete everything, which is what reset is for.
    if (filter.value === undefined) return fail("filter is empty; to delete every vector use reset");
    return ok({ filter: filter.value });
  }
  return fail("delete body needs ids, prefix or filter");
}

export function parseRange(value: unknown): Parsed<RangeRequest> {
  if (!isObject(value)) return fail(`range body must be an object like {"cursor": "0", "limit": 10}, got ${describeJsonType(value)}`);
  const cursor = parseCursor(value.cursor);
  if (!cursor.ok) return cursor;
  if (value.limit === undefined) return fail("limit is missing; send the page size, e.g. 100");
  const limit = parsePositiveInteger(value.limit, "limit");
  if (!limit.ok) return limit;
  const prefix = parseOptionalString(value.prefix, "prefix");
  if (!prefix.ok) return prefix;
  const include = parseInclude(value, "");
  if (!include.ok) return include;
  return ok({ cursor: cursor.value, limit: limit.value, prefix: prefix.value, include: include.value });
}

/** "0" (or "" or 0) starts; later cursors are what the previous page returned as nextCursor. */
function parseCursor(value: unknown): Parsed<number> {
  if (value === undefined || value === "") return ok(0);
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text === "string" && /^\d{1,15}$/.test(text)) return ok(Number(text));
  return fail(`cursor must be "0" or a nextCursor from an earlier range reply, got ${JSON.stringify(value) ?? "undefined"}`);
}

function parseFilterField(value: unknown, label: string): Parsed<FilterNode | undefined> {
  if (value === undefined || value === null) return ok(undefined);
  if (typeof value !== "string") return fail(`${label} must be a string like "genre = 'drama' AND year > 2000", got ${describeJsonType(value)}`);
  const parsed = parseFilter(value);
  return parsed.ok ? ok(parsed.filter) : fail(`${label}: ${parsed.error}`);
}

function parseInclude(value: Record<string, unknown>, prefix: string): Parsed<Include> {
  const flags: Record<string, boolean> = {};
  for (const name of ["includeVectors", "includeMetadata", "includeData"]) {
    const flag = value[name] ?? false;
    if (typeof flag !== "boolean") return fail(`${prefix}${name} must be true or false, got ${describeJsonType(flag)}`);
    flags[name] = flag;
  }
  return ok({ includeVectors: flags.includeVectors === true, includeMetadata: flags.includeMetadata === true, includeData: flags.includeData === true });
}

/** Upstash ids are strings; a number is accepted and kept as its decimal text, as the client expects. */
function parseId(value: unknown, label: string): Parsed<string> {
  if (typeof value === "string") return ok(value);
  if (typeof value === "number" && Number.isFinite(value)) return ok(String(value));
  return fail(`${label} must be a string or a number, got ${describeJsonType(value)}`);
}

function parseIds(value: unknown, label: string): Parsed<string[]> {
  if (!Array.isArray(value)) return fail(`${label} must be an array of ids, got ${describeJsonType(value)}`);
  const ids: string[] = [];
  for (const [index, element] of value.entries()) {
    const id = parseId(element, `${label}[${index}]`);
    if (!id.ok) return id;
    ids.push(id.value);
  }
  return ok(ids);
}

function parseVector(value: unknown, label: string): Parsed<number[]> {
  if (!Array.isArray(value) || value.length === 0) return fail(`${label} must be a non-empty array of numbers, got ${describeJsonType(value)}`);
  for (const [index, element] of value.entries()) {
    if (typeof element !== "number" || !Number.isFinite(element)) {
      return fail(`${label}[${index}] must be a finite number, got ${describeJsonType(element)}`);
    }
  }
  return ok(value as number[]);
}

function parseMetadata(value: unknown, label: string): Parsed<Metadata | undefined> {
  if (value === undefined) return ok(undefined);
  if (!isObject(value)) return fail(`${label} must be a JSON object, got ${describeJsonType(value)}`);
  if (exceedsDepth(value, MAX_METADATA_DEPTH)) return fail(`${label} nests deeper than ${MAX_METADATA_DEPTH} levels`);
  return ok(value);
}

function parseOptionalString(value: unknown, label: string): Parsed<string | undefined> {
  if (value === undefined || typeof value === "string") return ok(value);
  return fail(`${label} must be a string, got ${describeJsonType(value)}`);
}

function parsePositiveInteger(value: unknown, label: string): Parsed<number> {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 1) return ok(value);
  return fail(`${label} must be a positive integer, got ${JSON.stringify(value) ?? "undefined"}`);
}

/** Iterative, so the check itself cannot overflow the stack it protects. */
export function exceedsDepth(root: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.value === null || typeof item.value !== "object") continue;
    if (item.depth > limit) return true;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth: item.depth + 1 });
  }
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function describeJsonType(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isFinite(value) ? `the number ${value}` : "a non-finite number";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export function resultReply(result: unknown): HttpReply {
  return { status: 200, body: { result } };
}

/** Upstash's error shape; the client throws `body.error` as the message of an UpstashError. */
export function errorReply(status: number, message: string): HttpReply {
  return { status, body: { error: message, status } };
}

/**
 * `Authorization: Bearer <token>`. Digests are compared so neither the content nor the
 * length of the token leaks through timing.
 */
export function isAuthorized(expected: string | undefined, authorization: string | undefined): boolean {
  if (!expected) return true;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  return bearer !== undefined && sameSecret(bearer, expected);
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
