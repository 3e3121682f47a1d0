/**
 * Every edge route, fed malformed and hostile input: the answer is always a JSON 4xx
 * naming the problem (or a success for harmless input), never a 5xx.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, KEYS, seedKeys } from "../test-support/fixtures.js";

beforeAll(seedKeys);

const deep = JSON.parse("[".repeat(2000) + "]".repeat(2000)) as unknown;
const hostileStrings = [
  "",
  " ",
  "'; DROP TABLE interactions; --",
  "../../etc/passwd",
  "\u0000",
  "😀".repeat(200),
  "a".repeat(10_000),
  "<script>alert(1)</script>",
];
const hostileValues: unknown[] = [null, true, 1e308, -1, 3.5, [], {}, deep, ...hostileStrings];

const routes: Array<{ method: string; path: (v: string) => string; body?: (v: unknown) => unknown; key: string }> = [
  { method: "POST", path: () => "/v1/events", body: (v) => ({ events: [{ user_id: v, item_id: v, type: v, ts: v, value: v, context: v }] }), key: KEYS.client },
  { method: "POST", path: () => "/v1/events", body: (v) => ({ events: v }), key: KEYS.client },
  { method: "POST", path: () => "/v1/events", body: (v) => v, key: KEYS.client },
  { method: "POST", path: () => "/v1/feedback", body: (v) => ({ request_id: v, user_id: v, item_id: v, type: v }), key: KEYS.client },
  { method: "POST", path: () => "/v1/recommendations/bulk", body: (v) => ({ user_ids: v, limit: v, context: v }), key: KEYS.client },
  { method: "POST", path: () => "/v1/recommendations/bulk", body: (v) => ({ user_ids: [v] }), key: KEYS.client },
  {
    method: "GET",
    path: (v) =>
      `/v1/recommendations/${encodeURIComponent(v)}?limit=${encodeURIComponent(v)}&exclude=${encodeURIComponent(v)}&category=${encodeURIComponent(v)}`,
    key: KEYS.client,
  },
  { method: "GET", path: (v) => `/v1/items/${encodeURIComponent(v)}/similar?limit=${encodeURIComponent(v)}`, key: KEYS.client },
  { method: "GET", path: (v) => `/v1/items/${encodeURIComponent(v)}/bought-together`, key: KEYS.client },
  { method: "GET", path: (v) => `/v1/popular?window=${encodeURIComponent(v)}&category=${encodeURIComponent(v)}`, key: KEYS.client },
  { method: "DELETE", path: (v) => `/v1/users/${encodeURIComponent(v)}`, key: KEYS.admin },
  { method: "PUT", path: (v) => `/v1/users/${encodeURIComponent(v)}/consent`, body: (v) => ({ personalisation: v }), key: KEYS.client },
  { method: "PUT", path: () => "/v1/users/u1/consent", body: (v) => v, key: KEYS.client },
  { method: "GET", path: (v) => `/v1/users/${encodeURIComponent(v)}/consent`, key: KEYS.client },
  { method: "PUT", path: () => "/v1/admin/keys", body: (v) => ({ keys: v }), key: "wrong-admin-token" },
];

describe("hostile input on every route", () => {
  it("never answers 5xx and always answers JSON", async () => {
    let checked = 0;
    for (const route of routes) {
      for (const value of hostileValues) {
        const text = typeof value === "string" ? value : JSON.stringify(value);
        const res = await api(route.path(text), {
          method: route.method,
          key: route.key,
          ...(route.body ? { json: route.body(value) } : {}),
        });
        expect(res.status, `${route.method} ${route.path("…")} with ${text.slice(0, 40)}`).toBeLessThan(500);
        expect(res.headers.get("content-type")).toMatch(/application\/json/);
        await res.body?.cancel();
        checked++;
      }
    }
    expect(checked).toBe(routes.length * hostileValues.length);
  });

  it("caps request bodies before parsing them", async () => {
    const res = await api("/v1/recommendations/bulk", { method: "POST", body: "x".repeat(300 * 1024), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    const events = await api("/v1/events", { method: "POST", body: "x".repeat(3 * 1024 * 1024), headers: { "content-type": "application/json" } });
    expect(events.status).toBe(413);
  });

  it("answers unknown routes and methods with a JSON 404", async () => {
    const res = await api("/v1/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("serves the OpenAPI document and Swagger UI without a key", async () => {
    const spec = await (await api("/openapi.json", { key: null })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        "/v1/events",
        "/v1/recommendations/{userId}",
        "/v1/recommendations/bulk",
        "/v1/items/{itemId}/similar",
        "/v1/popular",
        "/v1/feedback",
        "/v1/users/{userId}",
      ]),
    );
    const docs = await api("/docs", { key: null });
    expect(await docs.text()).toContain("/docs/assets/swagger-ui-bundle.js");
    const asset = await api("/docs/assets/swagger-ui-bundle.js", { key: null });
    expect(asset.status).toBe(200);
    expect((await asset.text()).length).toBeGreaterThan(100_000);
  });
});
