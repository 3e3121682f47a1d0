/**
 * Generated hostile requests for the fuzz tests of both apps (edge and backend).
 *
 * Routes come from each app's own OpenAPI document, so a route added later is fuzzed
 * without touching the tests. Every generated request carries at least one defect the
 * route must refuse — a bad credential, a body that is not the JSON object it takes
 * (broken syntax, wrong top-level type, nesting thousands deep, over the size cap), a
 * path id longer than any id may be, or a query value of the wrong type — and on top of
 * that noise: injection strings, unicode oddities, huge numbers, unknown fields and
 * headers. So the expected answer is always a JSON 4xx, and since nothing may be
 * accepted, nothing stored may change. Routes that take no input and answer anyone
 * (health, docs) get noise only and must merely not fail.
 *
 * No Node or Workers APIs here: the module runs inside workerd and in Node.
 */
import fc from "fast-check";
import { expect } from "vitest";

export interface FuzzQueryParam {
  name: string;
  kind: "integer" | "number" | "enum" | "other";
  values?: readonly string[];
  minimum?: number;
  maximum?: number;
}

export interface FuzzRoute {
  method: string;
  /** OpenAPI template, parameters as {name}. */
  path: string;
  params: string[];
  query: FuzzQueryParam[];
  body: boolean;
  /** Answers without a credential and takes no input: only "no 5xx" applies. */
  open: boolean;
}

export interface FuzzRequest {
  route: FuzzRoute;
  /** The defect the route must refuse; "none" only for open routes. */
  defect: "credential" | "body" | "path" | "query" | "none";
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

interface OpenApiSchema {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, OpenApiSchema>;
  items?: OpenApiSchema;
  [key: string]: unknown;
}
interface OpenApiOperation {
  parameters?: Array<{ name: string; in: string; schema?: OpenApiSchema }>;
  requestBody?: unknown;
  security?: unknown[];
}
export interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation | unknown> | undefined>;
}

const METHODS = ["get", "post", "put", "delete", "patch"];

function queryKind(schema: OpenApiSchema | undefined): FuzzQueryParam["kind"] {
  if (schema?.enum) return "enum";
  const type = Array.isArray(schema?.type) ? schema?.type[0] : schema?.type;
  return type === "integer" ? "integer" : type === "number" ? "number" : "other";
}

/** Every operation of the document; `open(method, path)` names routes anyone may call. */
export function routesFromOpenApi(doc: OpenApiDocument, open: (method: string, path: string) => boolean): FuzzRoute[] {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item ?? {})
      .filter(([m]) => METHODS.includes(m))
      .map(([m, raw]) => {
        const op = raw as OpenApiOperation;
        const method = m.toUpperCase();
        const parameters = op.parameters ?? [];
        return {
          method,
          path,
          params: [...path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]!),
          query: parameters.filter((p) => p.in === "query").map((p) => ({ name: p.name, kind: queryKind(p.schema), values: p.schema?.enum?.map(String) })),
          body: op.requestBody !== undefined,
          open: open(method, path),
        };
      }),
  );
}

/**
 * Routes an app serves that its OpenAPI document leaves out (internal admin calls,
 * health): fuzzed too, with a body for PUT and POST and no known query parameters.
 * `served` is Hono's `app.routes` (paths with `:name` parameters).
 */
export function undocumentedRoutes(
  served: ReadonlyArray<{ method: string; path: string }>,
  documented: readonly FuzzRoute[],
  open: (method: string, path: string) => boolean,
  skip: (method: string, path: string) => boolean = () => false,
): FuzzRoute[] {
  const known = new Set(documented.map((r) => `${r.method} ${r.path}`));
  const seen = new Set<string>();
  return served.flatMap(({ method, path: honoPath }) => {
    const path = honoPath.replace(/:([A-Za-z_]+)/g, "{$1}");
    const id = `${method} ${path}`;
    if (method === "ALL" || path.includes("*") || known.has(id) || seen.has(id) || skip(method, path)) return [];
    seen.add(id);
    const params = [...path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]!);
    return [{ method, path, params, query: [], body: method === "PUT" || method === "POST", open: open(method, path) }];
  });
}

/** Every property name any schema of the document mentions: plausible keys for hostile objects. */
export function propertyNames(doc: unknown): string[] {
  const names = new Set<string>();
  const walk = (node: unknown, depth: number): void => {
    if (depth > 40 || node === null || typeof node !== "object") return;
    const props = (node as OpenApiSchema).properties;
    if (props && typeof props === "object") for (const k of Object.keys(props)) names.add(k);
    for (const v of Object.values(node)) walk(v, depth + 1);
  };
  walk(doc, 0);
  return [...names].sort();
}

export const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE interactions; --",
  '" OR 1=1 --',
  "1; SELECT pg_sleep(30)",
  "$(reboot)",
  "`id`",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as plain text
  "${7*7}",
  "{{7*7}}",
  "<script>alert(1)</script>",
  "../../../../etc/passwd",
  "..%2f..%2f..%2fetc",
  "%00",
  "\u0000",
  "\r\nSet-Cookie: pwned=1",
  '{"$gt":""}',
  "__proto__",
  "constructor",
  "\uFEFF",
  "\uD800",
  "\uDFFF",
  "𝕏😀👨‍👩‍👧",
  "\u202Egnp.exe",
  "NaN",
  "Infinity",
  "-0",
  "1e309",
  "9007199254740993",
  "null",
  "*",
  "%",
  "KEYS *",
  "FLUSHALL",
  "\\",
  "http://169.254.169.254/latest/meta-data/",
];

/** Header-safe text (visible ASCII): fetch refuses anything else before sending. */
const headerText = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...INJECTIONS), fc.integer({ min: 20, max: 400 })).map(([s, n]) => s.repeat(n)) },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, -(2 ** 63), 5e-324, -0, 0.1 + 0.2),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** JSON values built from hostile pieces, keyed by the document's own field names so handlers look deeper. */
export function hostileJson(keys: readonly string[]): fc.Arbitrary<unknown> {
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys, "__proto__", "constructor") }, { weight: 1, arbitrary: hostileString });
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      hostileString,
      hostileNumber,
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(key, tie("value"), { maxKeys: 5 }),
    ),
  }));
  return value;
}

const nested = (depth: number, open: string, close: string, inner = "1") => open.repeat(depth) + inner + close.repeat(depth);

/** Body texts no route may accept: each is not a JSON object, or is one nested far too deep, or exceeds the cap. */
export function invalidBody(keys: readonly string[], maxBodyBytes: number): fc.Arbitrary<string> {
  const json = hostileJson(keys);
  return fc.oneof(
    // Broken syntax.
    fc.constantFrom(
      "{",
      "[",
      "{'a':1}",
      "{a:1}",
      "[1,]",
      '{"a":NaN}',
      '{"a":1}}',
      '{"a":1} trailing',
      "\uFEFF{",
      "undefined",
      "nul",
      '{"a":"\\x00"}',
      '{"a":"\uD800"',
      "\u0000",
    ),
    json.map((v) => JSON.stringify({ v }).slice(0, -1)),
    // Valid JSON of the wrong top-level type.
    fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null)).map((v) => JSON.stringify(v) ?? "null"),
    fc.array(fc.oneof(hostileString, hostileNumber, fc.constant(null)), { minLength: 1, maxLength: 5 }).map((a) => JSON.stringify(a)),
    fc.constantFrom("1e99999", "-1e99999", "123456789012345678901234567890e10"),
    // Nesting deep enough to overflow a recursive parser or validator.
    fc.tuple(fc.integer({ min: 500, max: 20_000 }), fc.constantFrom(...keys)).map(([d, k]) => nested(d, `{"${k}":`, "}")),
    fc.integer({ min: 500, max: 50_000 }).map((d) => nested(d, "[", "]")),
    fc.tuple(fc.integer({ min: 500, max: 5_000 }), fc.constantFrom(...keys)).map(([d, k]) => `{"${k}":${nested(d, "[", "]")}}`),
    // Over the cap (rarely: they are big).
    fc.noShrink(fc.integer({ min: 1, max: 1024 }).map((extra) => `{"${keys[0] ?? "a"}":"${"x".repeat(maxBodyBytes + extra)}"}`)),
  );
}

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
];

/** Credentials every route must refuse: absent, malformed, forged or unknown. */
export const badCredential: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  fc.constantFrom("Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer null", "Bearer undefined", "Token abc", "Bearer a.b.c"),
  headerText.map((t) => `Bearer ${t}`),
  headerText.map((t) => `Bearer rk_live_${t}`),
  fc.integer({ min: 2_000, max: 8_000 }).map((n) => `Bearer ${"A".repeat(n)}`),
  // alg "none" and HS256 with a made-up secret: structurally JWTs, signed by nobody we trust.
  fc
    .tuple(headerText, fc.constantFrom("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"))
    .map(([sub, header]) => `Bearer ${header}.${btoa(JSON.stringify({ sub, aud: "*", exp: 4_102_444_800 })).replace(/=+$/, "")}.c2lnbmF0dXJl`),
);

function encodeAll(text: string): string {
  // Lone surrogates make encodeURIComponent throw; a client would send their bytes as-is.
  try {
    return encodeURIComponent(text);
  } catch {
    return `${encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, "\uFFFD"))}%ED%A0%80`;
  }
}

const plainId = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
const tooLongPathValue = fc
  .tuple(fc.constantFrom("a", "9", "-", "é", "😀", "'"), fc.integer({ min: 1_100, max: 3_000 }))
  .map(([s, n]) => encodeAll(s.repeat(n)));
const invalidNumberText = fc.constantFrom("abc", "1.5", "-1", "0", "1e400", "99999999999999999999", "0x10", "NaN", "[]", "' OR 1=1");

function invalidQueryValue(p: FuzzQueryParam): fc.Arbitrary<string> {
  if (p.kind === "enum") return hostileString.filter((s) => !(p.values ?? []).includes(s));
  // "0" is wrong for a limit (minimum 1) but right for a timestamp (minimum 0).
  const inRange = (v: string) => /^[0-9]+$/.test(v) && Number(v) >= (p.minimum ?? -Infinity) && Number(v) <= (p.maximum ?? Infinity);
  return p.kind === "integer" || p.kind === "number" ? invalidNumberText.filter((v) => !inRange(v)) : fc.constant("");
}

export interface HostileOptions {
  routes: readonly FuzzRoute[];
  propertyNames: readonly string[];
  /** The credential header that passes the route's authentication (Authorization value). */
  validCredential: (route: FuzzRoute) => string;
  maxBodyBytes: number;
  /** Ids that exist (planted users, items): path values aim at them too, so a leak would change real data. */
  knownIds?: readonly string[];
}

type Defect = FuzzRequest["defect"];

function defectsOf(route: FuzzRoute): Defect[] {
  if (route.open) return ["none"];
  const defects: Defect[] = ["credential"];
  if (route.body) defects.push("body", "body");
  if (route.params.length > 0) defects.push("path");
  if (route.query.some((q) => q.kind !== "other")) defects.push("query");
  return defects;
}

export function hostileRequest(opts: HostileOptions): fc.Arbitrary<FuzzRequest> {
  const keys = opts.propertyNames.length > 0 ? opts.propertyNames : ["a"];
  const known = opts.knownIds?.length ? [fc.constantFrom(...opts.knownIds)] : [];
  const pathValue = fc.oneof(hostileString, plainId, ...known).map(encodeAll);
  const noiseBody = hostileJson(keys).map((v) => JSON.stringify(v) ?? "null");
  const extraQuery = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...keys), hostileString), hostileString), { maxLength: 3 });
  const extraHeaders = fc.record(
    {
      "x-forwarded-for": headerText,
      origin: fc.constantFrom("https://evil.example", "null", "http://localhost:3000"),
      "x-request-id": headerText,
      accept: headerText,
    },
    { requiredKeys: [] },
  );
  return fc
    .constantFrom(...opts.routes)
    .chain((route) => fc.tuple(fc.constant(route), fc.constantFrom(...defectsOf(route))))
    .chain(([route, defect]) => {
      const targetParam = fc.constantFrom(...(route.params.length ? route.params : ["-"]));
      const numericQuery = route.query.filter((q) => q.kind !== "other");
      const badQuery = numericQuery.length
        ? fc.constantFrom(...numericQuery).chain((q) => invalidQueryValue(q).map((v) => [q.name, v] as [string, string]))
        : fc.constant(null);
      return fc.record({
        route: fc.constant(route),
        defect: fc.constant(defect),
        params: fc.tuple(...route.params.map(() => pathValue)),
        target: targetParam,
        tooLong: tooLongPathValue,
        badQuery,
        query: fc.array(fc.tuple(fc.constantFrom(...route.query.map((q) => q.name), "x"), hostileString), { maxLength: 3 }),
        extraQuery,
        credential: defect === "credential" ? badCredential : fc.constant(opts.validCredential(route)),
        body: defect === "body" ? invalidBody(keys, opts.maxBodyBytes) : noiseBody,
        contentType: fc.oneof({ weight: 4, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
        headers: extraHeaders,
      });
    })
    .map((g) => {
      let path = g.route.path;
      g.route.params.forEach((name, i) => {
        path = path.replace(`{${name}}`, g.defect === "path" && name === g.target ? g.tooLong : g.params[i]!);
      });
      const query = [...g.query, ...g.extraQuery].map(([k, v]) => `${encodeAll(k)}=${encodeAll(v)}`);
      if (g.defect === "query" && g.badQuery) query.push(`${g.badQuery[0]}=${encodeAll(g.badQuery[1])}`);
      const headers: Record<string, string> = { ...g.headers };
      if (g.credential !== null) headers.authorization = g.credential;
      const sendsBody = g.route.method !== "GET" && (g.route.body || g.defect === "body");
      if (sendsBody) headers["content-type"] = g.contentType;
      return {
        route: g.route,
        defect: g.defect,
        method: g.route.method,
        url: query.length ? `${path}?${query.join("&")}` : path,
        headers,
        ...(sendsBody ? { body: g.body } : {}),
      };
    });
}

/** What a refusal may never contain: stack frames, SQL, internal addresses, or any secret. */
export function leakIn(text: string, secrets: readonly string[]): string | null {
  const patterns: Array<[string, RegExp]> = [
    ["a stack trace", /\n\s+at\s|at .*\(.*:\d+:\d+\)/],
    ["a source path", /node_modules|\/work\/|\.ts:\d+/],
    ["SQL", /\b(SELECT|INSERT|UPDATE|DELETE)\b.+\b(FROM|INTO|SET)\b|syntax error at or near|relation ".*" does not exist/i],
    ["an internal address", /127\.0\.0\.1|localhost:\d+|ECONNREFUSED/],
  ];
  for (const [what, re] of patterns) if (re.test(text)) return what;
  for (const s of secrets) if (s.length >= 8 && text.includes(s)) return "a secret";
  return null;
}

/** Runs `send` with a deadline, so a request that hangs fails the property instead of the whole run. */
export async function withDeadline<T>(ms: number, what: string, send: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([send(), deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export function describeRequest(r: FuzzRequest): string {
  return `${r.defect} defect: ${r.method} ${r.url.slice(0, 200)} body ${(r.body ?? "").slice(0, 120)}`;
}

/**
 * Sends one generated request within 10 s and checks its answer: never a 5xx, and for a
 * request with a defect a JSON 4xx whose error has a code, names the field (unless the
 * credential was the defect) and leaks nothing. `ownRefusal` lets a route refuse a defect
 * its own documented way: it returns true (after its own checks) when the route did.
 */
export async function sendAndCheck(
  r: FuzzRequest,
  send: () => Promise<Response>,
  secrets: readonly string[],
  ownRefusal: (r: FuzzRequest, status: number, text: string, what: string) => boolean = () => false,
): Promise<void> {
  const res = await withDeadline(10_000, describeRequest(r), send);
  const text = await res.text();
  const what = `${describeRequest(r)} → ${res.status} ${text.slice(0, 300)}`;
  expect(res.status, what).toBeLessThan(500);
  if (r.defect === "none" || ownRefusal(r, res.status, text, what)) return;
  expect(res.status, what).toBeGreaterThanOrEqual(400);
  expect(res.headers.get("content-type"), what).toMatch(/application\/json/);
  const error = (JSON.parse(text) as { error?: { code?: unknown; field?: unknown } }).error;
  expect(error?.code, what).toEqual(expect.any(String));
  if (r.defect !== "credential") expect(error?.field, what).toEqual(expect.any(String));
  expect(leakIn(text, secrets), what).toBeNull();
}

/** fast-check's run options: FUZZ_SEED replays a failing run. */
export function fuzzOptions(env: Record<string, string | undefined>, numRuns: number): { numRuns: number; seed?: number } {
  return { numRuns, ...(env.FUZZ_SEED ? { seed: Number(env.FUZZ_SEED) } : {}) };
}

/** Number of generated requests per app; FUZZ_RUNS overrides for a longer soak. */
export function fuzzRuns(env: Record<string, string | undefined>, fallback: number): number {
  const n = Number(env.FUZZ_RUNS ?? fallback);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
