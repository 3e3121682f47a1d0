/**
 * Property-based fuzzing of every backend route (test/fuzz/hostile-requests.ts), with
 * training, experiments and shadows mounted: generated requests that each carry a defect
 * the route must refuse, sent to the real app over a real PostgreSQL database and a real
 * Redis behind the REST gateway. Each must be answered in time with a JSON 4xx naming the
 * field and leaking nothing, and afterwards every Postgres table and the planted Redis
 * keys are exactly as before.
 *
 * A failure prints fast-check's seed and the shrunk request; rerun with FUZZ_SEED (and
 * FUZZ_RUNS for a longer soak).
 */
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  fuzzRuns,
  hostileRequest,
  propertyNames,
  routesFromOpenApi,
  undocumentedRoutes,
  type OpenApiDocument,
  fuzzOptions,
  sendAndCheck,
} from "../../test/fuzz/hostile-requests.js";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { resultRows } from "../db/result-rows.js";
import type { AppEnv } from "../http/app-env.js";
import type { TrainingRunner } from "../training-jobs/job-runner.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";
import { fullBackendApp } from "../test-support/full-app.js";

const RUNS = fuzzRuns(process.env, 4_000);
/** Anyone may call these and they take no input: they must only never fail. */
// The dashboard's page, script and styles hold no data (the page fetches it with the operator's key).
const OPEN = (_method: string, path: string) =>
  ["/health", "/health/ready", "/metrics", "/openapi.json"].includes(path) || path.startsWith("/docs") || path.startsWith("/dashboard");

let h: Harness;
let app: OpenAPIHono<AppEnv>;
let runner: TrainingRunner;
let document: OpenApiDocument;
let planted: { user: string; item: string };

beforeAll(async () => {
  h = await startHarness();
  ({ app, runner } = fullBackendApp(h, { catalogSync: h.catalogSync }));
  document = (await json(await app.request("/openapi.json"))) as OpenApiDocument;
  // Planted data the fuzz aims at: a catalog item (in Postgres and in Redis) and a user's interaction.
  planted = { user: `${h.prefix}-victim`, item: `${h.prefix}-item` };
  const catalog = await app.request(
    "/api/v1/catalog/items",
    jsonRequest("POST", { items: [{ item_id: planted.item, title: "Planted" }] }, bearer(h.keys.admin)),
  );
  expect(catalog.status).toBeLessThan(300);
  const ingest = await app.request(
    "/internal/v1/ingest",
    jsonRequest(
      "POST",
      {
        events: [
          {
            event_id: `${h.prefix}-e1`,
            user_id: planted.user,
            item_id: planted.item,
            type: "view",
            ts: Date.now() - 1000,
            session_id: null,
            value: null,
            context: null,
          },
        ],
      },
      bearer(BACKEND_TOKEN),
    ),
  );
  expect(ingest.status).toBeLessThan(300);
});

afterAll(async () => {
  await runner?.stop();
  await h?.close();
});

/** Every table's rows, as one digest each; the harness's database is this file's alone. */
async function postgresSnapshot(): Promise<Record<string, string>> {
  const tables = await h.database.db.execute(sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
  const names = resultRows<{ tablename: string }>(tables).map((r) => r.tablename);
  const out: Record<string, string> = {};
  for (const name of names) {
    const r = await h.database.db.execute(
      sql.raw(`SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS digest FROM "${name}" t`),
    );
    out[name] = resultRows<{ digest: string }>(r)[0]!.digest;
  }
  return out;
}

/** The Redis keys of this file's ids (other files share the database). */
async function redisSnapshot(): Promise<Array<[string, unknown]>> {
  const res = await fetch(h.gatewayUrl!, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(["KEYS", `*${h.prefix}*`]) });
  const names = ((await res.json()) as { result: string[] }).result.sort();
  return Promise.all(
    names.map(async (k) => {
      const dump = await fetch(h.gatewayUrl!, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(["GET", k]) });
      return [k, ((await dump.json()) as { result: unknown }).result] as [string, unknown];
    }),
  );
}

it(`answers ${RUNS} generated hostile requests on every backend route with JSON 4xx, in time, changing nothing`, { timeout: 600_000 }, async () => {
  const documented = routesFromOpenApi(document, OPEN);
  const routes = [...documented, ...undocumentedRoutes(app.routes, documented, OPEN, (_m, path) => path.startsWith("/docs"))];
  expect(documented.length).toBeGreaterThanOrEqual(25);
  expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
    expect.arrayContaining(["POST /internal/v1/ingest", "POST /api/v1/keys", "POST /api/v1/recs/train"]),
  );
  const before = { postgres: await postgresSnapshot(), redis: await redisSnapshot() };
  expect(before.redis.length).toBeGreaterThan(0);
  expect(Number(before.postgres.interactions?.split(":")[0])).toBe(1);

  const secrets = [BACKEND_TOKEN, h.keys.admin, h.keys.client, h.keys.reader, h.keys.writer];
  const seen = new Set<string>();
  let sent = 0;
  const arbitrary = hostileRequest({
    routes,
    propertyNames: propertyNames(document),
    validCredential: (route) => `Bearer ${route.path.startsWith("/internal/") ? BACKEND_TOKEN : h.keys.admin}`,
    maxBodyBytes: 16 * 1024 * 1024,
    knownIds: [planted.user, planted.item],
  });
  await fc.assert(
    fc.asyncProperty(arbitrary, async (r) => {
      sent++;
      await sendAndCheck(
        r,
        async () => app.request(r.url, { method: r.method, headers: r.headers, ...(r.body !== undefined ? { body: r.body } : {}) }),
        secrets,
      );
      seen.add(`${r.method} ${r.route.path}`);
    }),
    fuzzOptions(process.env, RUNS),
  );
  expect(seen.size).toBe(routes.length);
  expect({ postgres: await postgresSnapshot(), redis: await redisSnapshot() }).toEqual(before);
  console.warn(`backend fuzz: ${sent} hostile requests over ${routes.length} routes, all refused, Postgres and Redis unchanged`);
});
