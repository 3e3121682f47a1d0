/**
 * Every public /v1 route × every kind of caller. The routes come from the app's own
 * OpenAPI document, so a route added later fails this test until it says who may call
 * it (add it to CASES).
 */
import { api, KEYS, seedKeys, uniq } from "../test-support/fixtures.js";
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { hashApiKey, SCOPES, type Scope } from "../../models/api-keys.js";
import { createApp } from "../app.js";
import { KEYSET_KV_KEY, forgetKeySet } from "../http/auth.js";
import { userToken } from "../test-support/tokens.js";
import { END_USER_SCOPES } from "./access.js";

interface Case {
  scope: Scope;
  /** Where an end-user token's own user must appear; absent: any valid token with the scope will do. */
  user?: "param" | "body";
  /** The request for user `u`, valid enough for the handler to succeed once authorised. */
  request: (u: string) => { path: string; json?: unknown };
}

const CASES: Record<string, Case> = {
  "POST /v1/events": {
    scope: "events:write",
    user: "body",
    request: (u) => ({ path: "/v1/events", json: { events: [{ user_id: u, item_id: "am-item-1", type: "view" }] } }),
  },
  "POST /v1/feedback": {
    scope: "events:write",
    user: "body",
    request: (u) => ({ path: "/v1/feedback", json: { request_id: "am-req-1", user_id: u, item_id: "am-item-1", type: "click" } }),
  },
  "GET /v1/recommendations/{userId}": { scope: "recs:read", user: "param", request: (u) => ({ path: `/v1/recommendations/${u}?limit=3` }) },
  "POST /v1/recommendations/bulk": { scope: "recs:bulk", request: (u) => ({ path: "/v1/recommendations/bulk", json: { user_ids: [u, `${u}-2`], limit: 2 } }) },
  "GET /v1/items/{itemId}/similar": { scope: "recs:read", request: () => ({ path: "/v1/items/am-item-1/similar" }) },
  "GET /v1/items/{itemId}/bought-together": { scope: "recs:read", request: () => ({ path: "/v1/items/am-item-1/bought-together" }) },
  "GET /v1/popular": { scope: "recs:read", request: () => ({ path: "/v1/popular?window=24h" }) },
  "DELETE /v1/users/{userId}": { scope: "admin", request: (u) => ({ path: `/v1/users/${u}` }) },
  // Consent (built in parallel): the user themself, or a key that may write events.
  "PUT /v1/users/{userId}/consent": { scope: "events:write", user: "param", request: (u) => ({ path: `/v1/users/${u}/consent`, json: {} }) },
  "GET /v1/users/{userId}/consent": { scope: "events:write", user: "param", request: (u) => ({ path: `/v1/users/${u}/consent` }) },
};

/** Routes with their own credential: backend administration (EDGE_ADMIN_TOKEN) and session issuance (none). */
const EXCLUDED = (path: string) => path.startsWith("/v1/admin/") || path === "/v1/sessions";

const document = createApp().getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
const ROUTES = Object.entries(document.paths ?? {})
  .filter(([path]) => path.startsWith("/v1/") && !EXCLUDED(path))
  .flatMap(([path, item]) =>
    Object.keys(item ?? {})
      .filter((m) => ["get", "post", "put", "delete", "patch"].includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );

/** For each scope a key holding every other scope (never admin, which implies all). */
const allBut = (scope: Scope) => `rk_test_allbut_${scope.replace(":", "_")}_00000000000000`;
const REVOKED_KEY = "rk_test_revoked_key_0000000000000000";

beforeAll(async () => {
  await seedKeys();
  const set = (await env.CONFIG.get<{ keys: unknown[] }>(KEYSET_KV_KEY, "json"))!;
  for (const scope of SCOPES) {
    const scopes = SCOPES.filter((s) => s !== scope && s !== "admin");
    set.keys.push({ id: `allbut-${scope}`, hash: await hashApiKey(allBut(scope)), scopes, expires_at: null });
  }
  await env.CONFIG.put(KEYSET_KV_KEY, JSON.stringify(set));
  forgetKeySet();
});

it("the OpenAPI document lists the public routes and every one has an access case", async () => {
  const served = await (await api("/openapi.json", { key: null })).json<{ paths: Record<string, object> }>();
  expect(
    Object.keys(served.paths)
      .filter((p) => p.startsWith("/v1/") && !EXCLUDED(p))
      .sort(),
  ).toEqual([...new Set(ROUTES.map((r) => r.split(" ")[1]))].sort());
  expect(ROUTES.length).toBeGreaterThanOrEqual(8);
  expect(
    ROUTES.filter((r) => !CASES[r]),
    "add these routes to CASES",
  ).toEqual([]);
  expect(served).toMatchObject({ components: { securitySchemes: { apiKey: { scheme: "bearer" }, endUserToken: { scheme: "bearer", bearerFormat: "JWT" } } } });
});

type Expect = "ok" | { status: 401 | 403; code?: string };

describe.each(ROUTES.filter((r) => CASES[r]))("%s", (route) => {
  const c = CASES[route]!;
  const method = route.split(" ")[0]!;
  const tokensMay = END_USER_SCOPES.includes(c.scope);
  const validKey = c.scope === "admin" ? KEYS.admin : KEYS.client;

  const cells: Array<[string, (u: string) => Promise<string | null>, Expect]> = [
    ["no credential", async () => null, { status: 401, code: "unauthorized" }],
    ["expired JWT", (u) => userToken(u, { expiresIn: -3600 }), { status: 401, code: "token_expired" }],
    // A token for someone else: refused where the route names a user, fine where it does not.
    ["JWT for another user", () => userToken(uniq("someone-else")), tokensMay && !c.user ? "ok" : { status: 403 }],
    ["JWT with the wrong audience", (u) => userToken(u, { aud: "some-other-app" }), { status: 401, code: "token_wrong_audience" }],
    ["API key without the scope", async () => allBut(c.scope), { status: 403 }],
    ["revoked API key", async () => REVOKED_KEY, { status: 401 }],
    ["expired API key", async () => KEYS.expired, { status: 401 }],
    ["API key with the scope", async () => validKey, "ok"],
    ["the user's own JWT", (u) => userToken(u), tokensMay ? "ok" : { status: 403 }],
  ];

  it.each(cells)("%s", async (_cell, credential, expected) => {
    const user = uniq("am-user");
    const { path, json } = c.request(user);
    const res = await api(path, { method, key: await credential(user), ...(json === undefined ? {} : { json }) });
    const body = await res.json<{ error?: { code: string } }>();
    if (expected === "ok") {
      expect(res.status, JSON.stringify(body)).not.toBe(401);
      expect(res.status, JSON.stringify(body)).not.toBe(403);
      expect(res.status, JSON.stringify(body)).toBeLessThan(500);
      expect(res.status).not.toBe(429);
    } else {
      expect(res.status, JSON.stringify(body)).toBe(expected.status);
      if (expected.code) expect(body.error?.code).toBe(expected.code);
    }
  });
});

describe("end-user tokens in bodies", () => {
  it("refuses a batch with one event of another user, naming it", async () => {
    const me = uniq("am-me");
    const res = await api("/v1/events", {
      method: "POST",
      key: await userToken(me),
      json: {
        events: [
          { user_id: me, item_id: "i1", type: "view" },
          { user_id: uniq("other"), item_id: "i1", type: "view" },
        ],
      },
    });
    expect(res.status).toBe(403);
    expect((await res.json<{ error: { field: string } }>()).error.field).toBe("events[1].user_id");
  });

  it("refuses feedback for another user", async () => {
    const res = await api("/v1/feedback", {
      method: "POST",
      key: await userToken(uniq("am-me")),
      json: { request_id: "r1", user_id: uniq("other"), item_id: "i1", type: "click" },
    });
    expect(res.status).toBe(403);
    expect((await res.json<{ error: { field: string } }>()).error.field).toBe("user_id");
  });

  it("leaves a malformed body to the handler's 4xx", async () => {
    const res = await api("/v1/events", {
      method: "POST",
      key: await userToken(uniq("am-me")),
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
  });

  it("says what went wrong in WWW-Authenticate for a bad token", async () => {
    const res = await api("/v1/popular", { key: await userToken("u", { expiresIn: -3600 }) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
  });

  it("refuses a credential that is neither an API key nor a JWT", async () => {
    const res = await api("/v1/popular", { key: "not-a-credential" });
    expect(res.status).toBe(401);
  });
});
