/**
 * Every /api/v1 route, read from the app's own OpenAPI document (so a new route is
 * covered without touching this file, and fails here until its scope is declared
 * below) × every kind of credential: only a valid key holding the route's scope gets
 * past authentication and authorisation.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCOPES, type Scope } from "../../models/api-keys.js";
import { createApiKey, revokeApiKey } from "../auth/api-key-store.js";
import type { AppEnv } from "../http/app-env.js";
import { bearer, json, startHarness, type Harness } from "../test-support/backend-harness.js";
import { fullBackendApp } from "../test-support/full-app.js";
import type { TrainingRunner } from "../training-jobs/job-runner.js";

/** The access policy: the scope each route needs (`admin` also passes everywhere). */
const POLICY: Record<string, Scope> = {
  "GET /api/v1/audit": "admin",
  "POST /api/v1/keys": "admin",
  "GET /api/v1/keys": "admin",
  "GET /api/v1/keys/{id}": "admin",
  "DELETE /api/v1/keys/{id}": "admin",
  "POST /api/v1/keys/{id}/rotate": "admin",
  "POST /api/v1/catalog/items": "admin",
  "POST /api/v1/interactions/import": "admin",
  "GET /api/v1/interactions/stats": "admin",
  "GET /api/v1/catalog/items": "recs:read",
  "GET /api/v1/catalog/items/{itemId}": "recs:read",
  "GET /api/v1/users/{userId}/interactions": "admin",
  "POST /api/v1/recs/train": "models:publish",
  "GET /api/v1/recs/train": "models:publish",
  "GET /api/v1/recs/train/{trainingId}": "models:publish",
  "GET /api/v1/recs/models": "models:publish",
  "GET /api/v1/recs/models/{version}": "models:publish",
  "POST /api/v1/recs/models/{version}/promote": "models:publish",
  "POST /api/v1/recs/models/rollback": "models:publish",
  "GET /api/v1/recs/models/canaries": "models:publish",
  "POST /api/v1/recs/models/canaries/evaluate": "models:publish",
  "POST /api/v1/recs/models/{version}/canary": "models:publish",
  "POST /api/v1/recs/models/{version}/shadow": "models:publish",
  "GET /api/v1/recs/models/{version}/shadow": "models:publish",
  "POST /api/v1/recs/models/{version}/shadow/stop": "models:publish",
  "GET /api/v1/recs/experiments": "experiments:write",
  "POST /api/v1/recs/experiments": "experiments:write",
  "GET /api/v1/recs/experiments/{id}": "experiments:write",
  "PUT /api/v1/recs/experiments/{id}": "experiments:write",
  "POST /api/v1/recs/experiments/{id}/start": "experiments:write",
  "POST /api/v1/recs/experiments/{id}/stop": "experiments:write",
  "GET /api/v1/recs/experiments/{id}/results": "experiments:write",
  "GET /api/v1/recs/experiments/{id}/timeline": "experiments:write",
  "GET /api/v1/data-quality": "admin",
  "GET /api/v1/data-quality/drift": "admin",
  "GET /api/v1/ops/live": "admin",
  "POST /api/v1/webhooks": "admin",
  "GET /api/v1/webhooks": "admin",
  "GET /api/v1/webhooks/{id}": "admin",
  "DELETE /api/v1/webhooks/{id}": "admin",
  "GET /api/v1/webhooks/{id}/deliveries": "admin",
  "POST /api/v1/webhooks/{id}/ping": "admin",
  "POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver": "admin",
};

const NON_ADMIN = SCOPES.filter((s) => s !== "admin");

let h: Harness;
let app: OpenAPIHono<AppEnv>;
let runner: TrainingRunner;
let routes: Array<{ method: string; path: string }>;
/** One key per scope; `allBut[s]` holds every non-admin scope except s. */
const keys = { single: {} as Record<Scope, string>, allBut: {} as Record<Scope, string>, unknown: "", revoked: "", expired: "" };

beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
  ({ app, runner } = fullBackendApp(h));
  const db = h.database.db;
  const make = async (scopes: Scope[], expiresAt: Date | null = null) =>
    (await createApiKey(db, { name: scopes.join(","), scopes, environment: "test", expiresAt })).key;
  for (const scope of SCOPES) {
    keys.single[scope] = await make([scope]);
    const rest = NON_ADMIN.filter((s) => s !== scope);
    keys.allBut[scope] = await make(rest);
  }
  keys.unknown = `rk_test_${h.prefix}_never_issued_0123456789`;
  const revoked = await createApiKey(db, { name: "revoked", scopes: ["admin"], environment: "test" });
  await revokeApiKey(db, revoked.id);
  keys.revoked = revoked.key;
  keys.expired = await make(["admin"], new Date(Date.now() - 1000));

  const doc = await json(await app.request("/openapi.json"));
  routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .filter(([path]) => path.startsWith("/api/v1/"))
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
});

afterAll(async () => {
  await runner?.stop();
  await h?.close();
});

function call(route: { method: string; path: string }, headers: Record<string, string>): Promise<Response> {
  const url = route.path.replace(/\{[^}]+\}/g, "x");
  const hasBody = route.method === "POST" || route.method === "PUT";
  return Promise.resolve(
    app.request(url, {
      method: route.method,
      headers: { ...headers, ...(hasBody ? { "content-type": "application/json" } : {}) },
      ...(hasBody ? { body: "{}" } : {}),
    }),
  );
}

describe("route × credential matrix", () => {
  it("finds the documented /api/v1 routes, and every one has a declared scope", () => {
    expect(routes.length).toBeGreaterThanOrEqual(Object.keys(POLICY).length);
    const undeclared = routes.map((r) => `${r.method} ${r.path}`).filter((r) => !(r in POLICY));
    expect(undeclared, "declare the scope of these routes in POLICY").toEqual([]);
  });

  it("answers 401 without a valid key, 403 with the wrong scopes, and lets the right key through", async () => {
    const failures: string[] = [];
    for (const route of routes) {
      const name = `${route.method} ${route.path}`;
      const scope = POLICY[name]!;
      const expect401 = { none: {}, unknown: bearer(keys.unknown), revoked: bearer(keys.revoked), expired: bearer(keys.expired) };
      for (const [cell, headers] of Object.entries(expect401)) {
        const response = await call(route, headers);
        if (response.status !== 401) failures.push(`${name} with ${cell} key: ${response.status}, want 401`);
        else if ((await json(response)).error?.code !== "unauthorized") failures.push(`${name} with ${cell} key: not the JSON error shape`);
      }
      const wrong = await call(route, bearer(keys.allBut[scope]));
      if (wrong.status !== 403) failures.push(`${name} with every scope but ${scope}: ${wrong.status}, want 403`);
      for (const valid of [keys.single[scope], keys.single.admin]) {
        const response = await call(route, bearer(valid));
        if (response.status === 401 || response.status === 403 || response.status >= 500) {
          failures.push(`${name} with a valid key: ${response.status} ${await response.text()}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
