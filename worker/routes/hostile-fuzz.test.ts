/**
 * Property-based fuzzing of every edge route (test/fuzz/hostile-requests.ts): thousands
 * of generated requests, each with a defect the route must refuse, through the real
 * worker in workerd. Each must be answered in time with a JSON 4xx that leaks nothing,
 * and afterwards KV, R2 and a planted user's data are exactly as before.
 *
 * A failure prints fast-check's seed and the shrunk request; rerun with that seed
 * (FUZZ_SEED) to reproduce it. FUZZ_RUNS raises the count for a longer soak.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import { createApp } from "../app.js";
import worker from "../index.js";
import { keys } from "../../models/feature-keys.js";
import { redisClient } from "../features/redis-client.js";
import { forgetKeySet } from "../http/auth.js";
import { api, KEYS, seedKeys } from "../test-support/fixtures.js";
import {
  fuzzRuns,
  hostileRequest,
  propertyNames,
  routesFromOpenApi,
  undocumentedRoutes,
  type OpenApiDocument,
  fuzzOptions,
  sendAndCheck,
  type FuzzRequest,
} from "../../test/fuzz/hostile-requests.js";

// FUZZ_RUNS and FUZZ_SEED reach the worker as bindings (vitest.workers.config.ts), not typed in Env.
const fuzzEnv = env as unknown as Record<string, string | undefined>;
const RUNS = fuzzRuns(fuzzEnv, 10_000);
const VICTIM = "fz-victim-1";
const ITEM = "fz-item-1";
/** Requests anyone may make that take no input: they must only never fail. */
const OPEN = (method: string, path: string) =>
  path === "/health" || path === "/health/ready" || path === "/openapi.json" || path.startsWith("/docs") || (method === "POST" && path === "/v1/sessions");

const document = createApp().getOpenAPI31Document({ openapi: "3.1.0", info: { title: "fuzz", version: "1" } });
const documented = routesFromOpenApi(document as OpenApiDocument, OPEN);
// /docs/assets/{file} serves Swagger UI's static files: no input beyond the file name.
const routes = [...documented, ...undocumentedRoutes(createApp().routes, documented, OPEN, (_m, path) => path.startsWith("/docs"))];
const SECRETS = [
  env.EDGE_ADMIN_TOKEN,
  env.BACKEND_TOKEN,
  env.UPSTASH_REDIS_REST_TOKEN,
  env.AUTH_JWT_SECRET,
  env.SESSION_TOKEN_SECRET,
  KEYS.admin,
  KEYS.client,
].filter((s): s is string => typeof s === "string");

interface Snapshot {
  kv: Array<[string, string | null]>;
  r2: Array<[string, string]>;
  redis: Array<[string, unknown]>;
  consent: unknown;
}

// Other test files share the Redis database, so only the fuzz's own keys (ids starting
// "fz-") are compared; a request that slipped through would write under those ids.
const redis = redisClient(env, 5_000);

async function redisSnapshot(): Promise<Array<[string, unknown]>> {
  const names: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, { match: "*fz-*", count: 1000 });
    cursor = String(next);
    names.push(...batch);
  } while (cursor !== "0");
  names.sort();
  return Promise.all(
    names.map(async (k) => {
      const type = await redis.type(k);
      if (type === "zset") return [k, await redis.zrange(k, 0, -1, { withScores: true })] as [string, unknown];
      if (type === "list") return [k, await redis.lrange(k, 0, -1)] as [string, unknown];
      if (type === "hash") return [k, await redis.hgetall(k)] as [string, unknown];
      return [k, type === "string" ? await redis.get(k) : type] as [string, unknown];
    }),
  );
}

async function snapshot(): Promise<Snapshot> {
  const listed = await env.CONFIG.list();
  const kv = await Promise.all(listed.keys.map(async (k) => [k.name, await env.CONFIG.get(k.name)] as [string, string | null]));
  const objects = await env.ARTIFACTS.list();
  const r2 = objects.objects.map((o) => [o.key, o.etag] as [string, string]);
  const consent = await (await api(`/v1/users/${VICTIM}/consent`, { key: KEYS.admin })).json();
  return { kv, r2, redis: await redisSnapshot(), consent };
}

beforeAll(async () => {
  await seedKeys();
  forgetKeySet();
  // Planted data the fuzz aims at: a user who has turned personalisation off, and their events.
  const consent = await api(`/v1/users/${VICTIM}/consent`, { method: "PUT", key: KEYS.admin, json: { personalisation: false } });
  expect(consent.status).toBe(200);
  await env.CONFIG.put("fuzz:planted", JSON.stringify({ untouched: true }));
  await env.ARTIFACTS.put("fuzz/planted.bin", new Uint8Array([1, 2, 3]));
  await redis.zadd(keys.coView(ITEM), { score: 3, member: "fz-item-2" });
  await redis.lpush(keys.userRecent(VICTIM), "fz-item-1");
  await redis.set(keys.item(ITEM), JSON.stringify({ item_id: ITEM, available: true }));
});

/**
 * The worker's own fetch handler with the test's real bindings. Not SELF.fetch: under
 * the Vitest pool every SELF.fetch gets slower as their number grows (about 300 ms each
 * after 1,500; cloudflare/workers-sdk#15446), which thousands of requests cannot afford.
 */
async function send(r: FuzzRequest): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://edge.test${r.url}`, { method: r.method, headers: r.headers, body: r.body }), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/**
 * POST /v1/events validates each event on its own: a batch whose every event is wrong is
 * a 202 that accepted none of them and names each one's problem.
 */
function perEventRefusal(r: FuzzRequest, status: number, text: string, what: string): boolean {
  if (!(r.defect === "body" && r.method === "POST" && r.route.path === "/v1/events" && status === 202 && text.includes('"rejected"'))) return false;
  const body = JSON.parse(text) as { accepted: number; rejected: Array<{ error: string }> };
  expect(body.accepted, what).toBe(0);
  expect(body.rejected.length, what).toBeGreaterThan(0);
  return true;
}
it("covers every route the app serves", () => {
  expect(documented.length).toBeGreaterThanOrEqual(15);
  const served = createApp()
    .routes.filter((r) => r.method !== "ALL")
    .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, "{$1}")}`);
  const fuzzed = new Set(routes.map((r) => `${r.method} ${r.path}`));
  expect(served.filter((r) => !fuzzed.has(r) && !r.startsWith("GET /docs"))).toEqual([]);
  // The admin routes outside the document are fuzzed too.
  expect(fuzzed).toContain("PUT /v1/admin/keys");
  expect(fuzzed).toContain("PUT /v1/admin/models/shadow");
});

it(`answers ${RUNS} generated hostile requests with JSON 4xx, in time, changing nothing`, { timeout: 600_000 }, async () => {
  const before = await snapshot();
  const seen = new Map<string, number>();
  let sent = 0;
  const arbitrary = hostileRequest({
    routes,
    propertyNames: propertyNames(document),
    validCredential: (route) => `Bearer ${route.path.startsWith("/v1/admin/") ? env.EDGE_ADMIN_TOKEN : KEYS.admin}`,
    maxBodyBytes: 2 * 1024 * 1024,
    knownIds: [VICTIM, ITEM],
  });
  await fc.assert(
    fc.asyncProperty(arbitrary, async (r) => {
      sent++;
      await sendAndCheck(r, () => send(r), SECRETS, perEventRefusal);
      const label = `${r.method} ${r.route.path} ${r.defect}`;
      seen.set(label, (seen.get(label) ?? 0) + 1);
    }),
    fuzzOptions(fuzzEnv, RUNS),
  );
  expect(sent).toBeGreaterThanOrEqual(RUNS);
  console.warn(`edge fuzz: ${sent} hostile requests over ${routes.length} routes (${seen.size} route × defect kinds), all refused, stored data unchanged`);
  // Every route was hit, with every kind of defect it can carry.
  expect(new Set([...seen.keys()].map((l) => l.split(" ").slice(0, 2).join(" "))).size).toBe(routes.length);
  const after = await snapshot();
  expect(before.redis.length).toBeGreaterThanOrEqual(3);
  expect(after).toEqual(before);
});
