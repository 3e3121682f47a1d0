/**
 * The Upstash Redis REST protocol as pure functions, for the local gateway in front of a
 * real Redis: which endpoint a request is for, how its commands are read from the JSON
 * and path forms, how Redis replies become JSON (optionally base64), and how errors are
 * shaped. Nothing here does I/O, so every rule is unit-tested on its own.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { HttpReply, Parsed } from "../stand-ins/json-http-server.js";

export type { HttpReply };

/** A Redis argument: text from JSON or the URL, or raw bytes from a POST body. */
export type RedisArg = string | Buffer;

export interface RedisCommand {
  readonly name: string;
  readonly args: readonly RedisArg[];
}

/** What a parser hands back: the value, or a message naming what is wrong with the input. */
export type { Parsed };

/** A Redis reply as it appears inside `{"result": ...}`. */
export type JsonReply = null | number | string | JsonReply[];

export type Route =
  | { readonly kind: "health" }
  | { readonly kind: "json-command" }
  | { readonly kind: "batch"; readonly transaction: boolean }
  | { readonly kind: "path-command" }
  | { readonly kind: "rejected"; readonly status: 400 | 405; readonly error: string };

/** What one HTTP request asks Redis to do. */
export type CommandPlan =
  | { readonly kind: "single"; readonly command: RedisCommand }
  | { readonly kind: "batch"; readonly transaction: boolean; readonly commands: readonly RedisCommand[] };

export interface RequestInput {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: Buffer;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

// Upstash documents exactly these four; anything else is a 405 there too.
const ALLOWED_METHODS = new Set(["GET", "HEAD", "POST", "PUT"]);
const BODY_METHODS = new Set(["POST", "PUT"]);
const OK_BYTES = Buffer.from("OK");

/** Splits a raw request target without `new URL`, which would read `//set/k` as a host name. */
export function splitRequestTarget(rawUrl: string): { path: string; query: URLSearchParams } {
  const queryStart = rawUrl.indexOf("?");
  const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
  const query = new URLSearchParams(queryStart === -1 ? "" : rawUrl.slice(queryStart + 1));
  return { path: path.startsWith("/") ? path : `/${path}`, query };
}

export function resolveRoute(method: string, path: string): Route {
  const verb = method.toUpperCase();
  if (!ALLOWED_METHODS.has(verb)) {
    return { kind: "rejected", status: 405, error: `Method ${verb} not allowed; use GET, HEAD, POST or PUT` };
  }
  if (path === "/health") return { kind: "health" };
  const takesBody = BODY_METHODS.has(verb);
  if (path === "/pipeline" || path === "/multi-exec") {
    if (takesBody) return { kind: "batch", transaction: path === "/multi-exec" };
    return { kind: "rejected", status: 405, error: `${path} takes POST with a JSON array of commands` };
  }
  if (path === "/") {
    if (takesBody) return { kind: "json-command" };
    return { kind: "rejected", status: 400, error: 'No command: POST a JSON array like ["GET","key"] or use /COMMAND/arg1/arg2' };
  }
  return { kind: "path-command" };
}

/** Reads the commands of a non-health route from the request. */
export function parseRequestCommands(route: Route, input: RequestInput): Parsed<CommandPlan> {
  switch (route.kind) {
    case "json-command": {
      const json = parseJsonBody(input.body);
      if (!json.ok) return json;
      const command = parseCommandArray(json.value, "command");
      return command.ok ? ok({ kind: "single", command: command.value }) : command;
    }
    case "batch": {
      const json = parseJsonBody(input.body);
      if (!json.ok) return json;
      const commands = parseCommandBatch(json.value, route.transaction ? "transaction" : "pipeline");
      return commands.ok ? ok({ kind: "batch", transaction: route.transaction, commands: commands.value }) : commands;
    }
    case "path-command": {
      const body = BODY_METHODS.has(input.method.toUpperCase()) ? input.body : Buffer.alloc(0);
      const command = parsePathCommand(input.path, input.query, body);
      return command.ok ? ok({ kind: "single", command: command.value }) : command;
    }
    default:
      return fail(`route ${route.kind} carries no commands`);
  }
}

export function parseJsonBody(body: Buffer): Parsed<unknown> {
  if (body.length === 0) return fail("Request body is empty; expected a JSON array");
  try {
    return ok(JSON.parse(body.toString("utf8")) as unknown);
  } catch (error) {
    // JSON.parse also throws RangeError on absurd nesting; both are the client's fault.
    return fail(`Request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** `["SET","k","v","EX",100]`: numbers and booleans become strings, anything else is refused. */
export function parseCommandArray(value: unknown, label: string): Parsed<RedisCommand> {
  if (!Array.isArray(value)) {
    return fail(`${label} must be a JSON array like ["SET","key","value"], got ${describeJsonType(value)}`);
  }
  if (value.length === 0) return fail(`${label} is an empty array; its first element must be the command name`);
  const parts: string[] = [];
  for (const [index, element] of value.entries()) {
    const text = argumentText(element);
    if (text === undefined) {
      return fail(`${label} element ${index} is ${describeJsonType(element)}; only strings, finite numbers and booleans are allowed`);
    }
    parts.push(text);
  }
  const [name = "", ...args] = parts;
  if (name.trim() === "") return fail(`${label} has an empty command name`);
  return ok({ name, args });
}

/** The body of /pipeline and /multi-exec: a non-empty array of command arrays. */
export function parseCommandBatch(value: unknown, label: string): Parsed<RedisCommand[]> {
  if (!Array.isArray(value)) {
    return fail(`${label} body must be a JSON array of commands like [["SET","k","v"],["GET","k"]], got ${describeJsonType(value)}`);
  }
  if (value.length === 0) return fail(`${label} contains no commands`);
  const commands: RedisCommand[] = [];
  for (const [index, element] of value.entries()) {
    const command = parseCommandArray(element, `${label} command ${index}`);
    if (!command.ok) return command;
    commands.push(command.value);
  }
  return ok(commands);
}

/**
 * `/set/k/v/EX/100`: URL-decoded path segments, then the POST body (raw bytes, so binary
 * values survive), then query parameters as NAME VALUE pairs. Upstash documents that
 * order so `POST /set/k?EX=100` with a body sets k to the body with a TTL. `_token` is
 * authentication, never an argument.
 */
export function parsePathCommand(path: string, query: URLSearchParams, body: Buffer): Parsed<RedisCommand> {
  const segments = path.slice(1).split("/");
  const decoded: string[] = [];
  for (const [index, segment] of segments.entries()) {
    try {
      decoded.push(decodeURIComponent(segment));
    } catch {
      return fail(`Path segment ${index} (${JSON.stringify(segment)}) is not valid percent-encoding`);
    }
  }
  const [name = "", ...args] = decoded;
  if (name.trim() === "") return fail("Path has an empty command name; expected /COMMAND/arg1/arg2");
  const all: RedisArg[] = [...args];
  if (body.length > 0) all.push(body);
  for (const [key, value] of query) {
    if (key === "_token") continue;
    all.push(key);
    if (value !== "") all.push(value);
  }
  return ok({ name, args: all });
}

// The gateway shares one Redis connection between all requests, so a command that changes
// that connection's state (or blocks it) would leak into, or stall, everybody else's.
const UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  ...["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"].map((c) => [c, "send transactions to POST /multi-exec"] as const),
  ...["SELECT", "HELLO", "AUTH", "RESET", "QUIT"].map((c) => [c, "it would change the gateway's shared connection"] as const),
  ...["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR"].map(
    (c) => [c, "streaming endpoints are not implemented by this gateway"] as const,
  ),
  ...["BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF"].map(
    (c) => [c, "blocking commands would stall the gateway's shared connection"] as const,
  ),
]);
const UNSUPPORTED_CLIENT_SUBCOMMANDS = new Set(["REPLY", "TRACKING", "CACHING"]);

/** A Redis-style error line if the command cannot be served here, else undefined. */
export function unsupportedReason(command: RedisCommand): string | undefined {
  const name = command.name.toUpperCase();
  const reason = UNSUPPORTED.get(name) ?? blockingStreamRead(name, command.args) ?? clientStateChange(name, command.args);
  return reason === undefined ? undefined : `ERR ${name} is not supported by the REST gateway: ${reason}`;
}

function blockingStreamRead(name: string, args: readonly RedisArg[]): string | undefined {
  if (name !== "XREAD" && name !== "XREADGROUP") return undefined;
  const blocks = args.some((a) => typeof a === "string" && a.toUpperCase() === "BLOCK");
  return blocks ? "blocking commands would stall the gateway's shared connection" : undefined;
}

function clientStateChange(name: string, args: readonly RedisArg[]): string | undefined {
  const sub = args[0];
  if (name !== "CLIENT" || typeof sub !== "string" || !UNSUPPORTED_CLIENT_SUBCOMMANDS.has(sub.toUpperCase())) return undefined;
  return "it would change the gateway's shared connection";
}

/** The first unsupported command of a plan, as a message naming its position. */
export function findUnsupported(plan: CommandPlan): string | undefined {
  if (plan.kind === "single") return unsupportedReason(plan.command);
  for (const [index, command] of plan.commands.entries()) {
    const reason = unsupportedReason(command);
    if (reason !== undefined) return `${plan.transaction ? "transaction" : "pipeline"} command ${index}: ${reason}`;
  }
  return undefined;
}

export function wantsBase64(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim().toLowerCase() === "base64";
}

/** Only JSON responses exist here; Upstash's RESP2 format is refused rather than ignored. */
export function responseFormatError(header: string | string[] | undefined): string | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  if (value === undefined || value === "" || value === "json") return undefined;
  return `Upstash-Response-Format ${JSON.stringify(value)} is not supported by this gateway; only json`;
}

/**
 * A Redis reply as JSON. Bulk and status strings arrive as Buffers (ioredis callBuffer),
 * so binary data is exact in base64 mode; integers, nulls and nesting stay as they are.
 * Upstash leaves "OK" unencoded, and the client relies on that. Without base64, invalid
 * UTF-8 turns into U+FFFD, as Upstash documents.
 */
export function encodeReply(reply: unknown, base64: boolean): JsonReply {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === "number") return reply;
  if (Array.isArray(reply)) return reply.map((element: unknown) => encodeReply(element, base64));
  if (Buffer.isBuffer(reply)) return encodeBytes(reply, base64);
  // A Lua script can nest an error inside an array reply; its text is the useful part.
  if (reply instanceof Error) return encodeBytes(Buffer.from(reply.message), base64);
  return encodeBytes(Buffer.from(String(reply)), base64);
}

function encodeBytes(bytes: Buffer, base64: boolean): string {
  return base64 && !bytes.equals(OK_BYTES) ? bytes.toString("base64") : bytes.toString("utf8");
}

/** One entry of a /pipeline or /multi-exec reply. */
export function batchEntry(error: Error | null, reply: unknown, base64: boolean): { result: JsonReply } | { error: string } {
  return error ? { error: error.message } : { result: encodeReply(reply, base64) };
}

/** Redis answered with an error reply (as opposed to not answering at all). */
export function isRedisReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === "ReplyError";
}

/** EXECABORT alone does not say which command was wrong; Redis told us when queueing. */
export function describeTransactionAbort(error: Error): string {
  const previous = (error as Error & { previousErrors?: unknown }).previousErrors;
  if (!Array.isArray(previous) || previous.length === 0) return error.message;
  const causes = previous.map((e: unknown) => (e instanceof Error ? e.message : String(e)));
  return `${error.message.replace(/\.$/, "")}: ${causes.join("; ")}`;
}

export function errorReply(status: number, message: string): HttpReply {
  return { status, body: { error: message } };
}

export function unavailableMessage(redisUrl: string, reason: string): string {
  return `Redis unavailable at ${redactRedisUrl(redisUrl)}: ${reason}`;
}

/** Error messages and logs must not carry the Redis password. */
export function redactRedisUrl(redisUrl: string): string {
  try {
    const url = new URL(redisUrl);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return redisUrl.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
  }
}

/**
 * `Authorization: Bearer <token>` or `?_token=`. Digests are compared so neither the
 * content nor the length of the token leaks through timing.
 */
export function isAuthorized(expected: string | undefined, authorization: string | undefined, queryToken: string | null): boolean {
  if (!expected) return true;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  return [bearer, queryToken ?? undefined].some((candidate) => candidate !== undefined && sameSecret(candidate, expected));
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function argumentText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isFinite(value) ? "a number" : "a non-finite number";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
