import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackendApp } from "./app.js";
import { createLogger } from "./logger.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "./test-support/backend-harness.js";
import { recordingExperimentPublisher } from "./test-support/experiment-stand-ins.js";
import { sendWholeBody } from "./test-support/send-whole-body.js";

let h: Harness;
let down: Harness;
beforeAll(async () => {
  [h, down] = await Promise.all([
    startHarness({ deps: { experiments: { publisher: recordingExperimentPublisher(), attributionWindowHours: 24 } } }),
    startHarness({ redis: "unreachable" }),
  ]);
});
afterAll(async () => {
  await Promise.all([h?.close(), down?.close()]);
});

function expectJsonError(response: Response) {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
}

/** Every route, with credentials that pass its guard, so the input is what gets tested. */
function routes() {
  const admin = bearer(h.keys.admin);
  const service = bearer(BACKEND_TOKEN);
  return [
    { method: "POST", path: "/api/v1/catalog/items", headers: admin },
    { method: "GET", path: "/api/v1/catalog/items", headers: admin },
    { method: "GET", path: "/api/v1/catalog/items/{id}", headers: admin },
    { method: "GET", path: "/api/v1/users/{id}/interactions", headers: admin },
    { method: "POST", path: "/internal/v1/ingest", headers: service },
    { method: "DELETE", path: "/internal/v1/users/{id}", headers: service },
    { method: "GET", path: "/api/v1/recs/experiments", headers: admin },
    { method: "POST", path: "/api/v1/recs/experiments", headers: admin },
    { method: "GET", path: "/api/v1/recs/experiments/{id}", headers: admin },
    { method: "PUT", path: "/api/v1/recs/experiments/{id}", headers: admin },
    { method: "GET", path: "/api/v1/recs/experiments/{id}/results", headers: admin },
    // No body to read: left out of the body tests below.
    { method: "POST", path: "/api/v1/recs/experiments/{id}/start", headers: admin, noBody: true },
    { method: "POST", path: "/api/v1/recs/experiments/{id}/stop", headers: admin, noBody: true },
    { method: "GET", path: "/health", headers: {} },
    { method: "GET", path: "/health/ready", headers: {} },
    { method: "GET", path: "/metrics", headers: {} },
  ];
}

const HOSTILE_IDS = ["%00", "a%20b", "x".repeat(300), "%F0%9F%92%A9", "..%2F..%2Fetc", "'%3B%20drop%20table%20items%3B--", "%E0%A4%A"];
const HOSTILE_QUERIES = ["limit=-1", "limit=1e309", "limit=99999999999999999999", "limit=&cursor=", "cursor=%00", "limit=1&limit=2", "category=%00", "%zz=1"];
const HOSTILE_BODIES: unknown[] = [
  null,
  0,
  "x",
  [],
  {},
  { items: null, events: null },
  { items: [null], events: [null], feedback: [null], served: [null] },
  { items: [{ item_id: {}, title: [] }] },
  { events: [{ event_id: "e", user_id: "u", item_id: "i", type: "view", ts: 1e300, session_id: null, value: null, context: null }] },
  { events: [{ event_id: "e", user_id: "u", item_id: "i", type: "view", ts: 1, session_id: null, value: Number.POSITIVE_INFINITY, context: null }] },
  { items: [{ item_id: "a", title: "t", attributes: { nested: deep(3000) } }] },
  { items: [{ item_id: "a", title: "\ud800" }] },
  { __proto__: { polluted: true }, items: [{ item_id: "a", title: "t" }] },
];

function deep(levels: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

/** The app with a small body cap, so tests need not send megabytes to pass it. */
function cappedApp(maxBodyBytes: number) {
  return createBackendApp({
    database: h.database,
    featureStore: h.featureStore,
    config: { backendToken: BACKEND_TOKEN, corsOrigins: [], isProduction: false },
    logger: createLogger(() => {}),
    maxBodyBytes,
  });
}

describe("no input produces a 5xx", () => {
  it("survives hostile path parameters and query strings on every route", async () => {
    for (const route of routes()) {
      for (const id of HOSTILE_IDS) {
        for (const qs of ["", ...HOSTILE_QUERIES]) {
          const path = `${route.path.replace("{id}", id)}${qs ? `?${qs}` : ""}`;
          const response = await h.request(path, { method: route.method, headers: route.headers });
          expect(response.status, `${route.method} ${path}`).toBeLessThan(500);
          if (response.status >= 400) expectJsonError(response);
        }
      }
    }
  });

  it("survives hostile JSON bodies on every route, naming the field on 400", async () => {
    for (const route of routes().filter((r) => r.method === "POST" && !("noBody" in r))) {
      for (const body of HOSTILE_BODIES) {
        const response = await h.request(route.path, jsonRequest(route.method, body, route.headers));
        const label = `${route.path} ${JSON.stringify(body).slice(0, 80)}`;
        expect(response.status, label).toBeLessThan(500);
        if (response.status === 400) {
          const payload = await json(response);
          expect(payload.error.field, label).toEqual(expect.any(String));
          expect(payload.error.message, label).toEqual(expect.any(String));
        }
      }
    }
  });

  it("answers malformed JSON with 400 and a wrong or missing content type with 415", async () => {
    for (const route of routes().filter((r) => r.method === "POST" && !("noBody" in r))) {
      for (const raw of ["{", "{'a':1}", "[1,]", '{"items": [}', "\u0000", "", "nul"]) {
        const response = await h.request(route.path, { method: "POST", headers: { ...route.headers, "content-type": "application/json" }, body: raw });
        expect(response.status, `${route.path} ${JSON.stringify(raw)}`).toBe(400);
        expect((await json(response)).error).toMatchObject({ code: "malformed_json", field: "body" });
      }
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", undefined]) {
        const headers: Record<string, string> = { ...route.headers, ...(type ? { "content-type": type } : {}) };
        const response = await h.request(route.path, { method: "POST", headers, body: '{"items":[]}' });
        expect(response.status, `${route.path} ${type}`).toBe(415);
        expect((await json(response)).error).toMatchObject({ code: "unsupported_media_type", field: "content-type" });
      }
    }
  });

  it("answers a body over the cap with 413, with or without Content-Length", async () => {
    const small = cappedApp(1024);
    const body = JSON.stringify({ items: [{ item_id: "big", title: "x".repeat(2000) }] });
    const sized = await small.request("/api/v1/catalog/items", jsonRequest("POST", JSON.parse(body), bearer(h.keys.admin)));
    expect(sized.status).toBe(413);
    expect((await json(sized)).error.code).toBe("payload_too_large");
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    });
    const streamed = await small.request("/internal/v1/ingest", {
      method: "POST",
      headers: { ...bearer(BACKEND_TOKEN), "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it("lets a client that sends an oversized body to its end read the 413 (no broken pipe), over a real socket", async () => {
    const small = cappedApp(64 * 1024);
    const server = createAdaptorServer({ fetch: small.fetch }) as Server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/catalog/items`;
      // 2 MiB sent over about a second: longer than @hono/node-server waits for an unread body (500 ms) before it closes the socket.
      const huge = new TextEncoder().encode(JSON.stringify({ items: [{ item_id: "big", title: "x".repeat(2 * 1024 * 1024) }] }));
      const headers = { ...bearer(h.keys.admin), "content-type": "application/json" };
      for (const chunked of [false, true]) {
        const answer = await sendWholeBody(url, headers, huge, { chunked, paceMs: 30 });
        expect(answer.status, chunked ? "chunked" : "with Content-Length").toBe(413);
        expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "payload_too_large", field: "body" } });
      }
      // A body under the cap still reaches the route intact.
      const ok = await sendWholeBody(url, headers, new TextEncoder().encode(JSON.stringify({ items: [{ item_id: `${h.prefix}-fits`, title: "Fits" }] })));
      expect(ok.status).toBeLessThan(300);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("answers unknown routes and methods with a JSON 404", async () => {
    for (const [method, path] of [
      ["GET", "/nope"],
      ["PUT", "/api/v1/catalog/items"],
      ["GET", "/api/v1"],
      ["POST", "/health"],
    ] as const) {
      const response = await h.request(path, { method, headers: { "content-type": "application/json" }, body: method === "GET" ? null : "{}" });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect((await json(response)).error.code).toBe("not_found");
    }
  });
});

describe("cross-cutting HTTP behaviour", () => {
  it("echoes a sane X-Request-Id, replaces an unsafe one, and sets one on errors too", async () => {
    const echoed = await h.request("/health", { headers: { "x-request-id": "req-42.a:b" } });
    expect(echoed.headers.get("x-request-id")).toBe("req-42.a:b");
    for (const bad of ["has space", "x".repeat(200), "<script>"]) {
      const replaced = await h.request("/health", { headers: { "x-request-id": bad } });
      expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect((await h.request("/nope")).headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect((await h.request("/api/v1/catalog/items")).headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("logs one JSON line per request with method, path, status, ms and request_id", async () => {
    const lines: string[] = [];
    const app = createBackendApp({
      database: h.database,
      featureStore: h.featureStore,
      config: { backendToken: BACKEND_TOKEN, corsOrigins: [], isProduction: false },
      logger: createLogger((_, line) => lines.push(line)),
    });
    await app.request("/health", { headers: { "x-request-id": "log-test" } });
    await app.request("/api/v1/catalog/items/x", { headers: bearer(h.keys.reader) });
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "info", method: "GET", path: "/health", status: 200, request_id: "log-test", ms: expect.any(Number) });
    expect(JSON.parse(lines[1]!)).toMatchObject({ status: 404, route: "/api/v1/catalog/items/:itemId", key_id: `${h.prefix}-reader` });
  });

  it("allows CORS only from the configured origins", async () => {
    const allowed = await h.request("/health", { headers: { origin: "http://localhost:3000" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(allowed.headers.get("access-control-expose-headers")).toMatch(/X-Request-Id/i);
    const other = await h.request("/health", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await h.request("/api/v1/catalog/items", {
      method: "OPTIONS",
      headers: { origin: "http://localhost:3000", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
  });
});

describe("documentation", () => {
  it("generates /openapi.json from the route schemas", async () => {
    const doc = await json(await h.request("/openapi.json"));
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/api/v1/audit",
      "/api/v1/catalog/items",
      "/api/v1/catalog/items/{itemId}",
      "/api/v1/data-quality",
      "/api/v1/data-quality/drift",
      "/api/v1/interactions/import",
      "/api/v1/interactions/stats",
      "/api/v1/keys",
      "/api/v1/keys/{id}",
      "/api/v1/keys/{id}/rotate",
      "/api/v1/ops/live",
      "/api/v1/recs/experiments",
      "/api/v1/recs/experiments/{id}",
      "/api/v1/recs/experiments/{id}/results",
      "/api/v1/recs/experiments/{id}/start",
      "/api/v1/recs/experiments/{id}/stop",
      "/api/v1/recs/experiments/{id}/timeline",
      "/api/v1/users/{userId}/interactions",
      "/api/v1/webhooks",
      "/api/v1/webhooks/{id}",
      "/api/v1/webhooks/{id}/deliveries",
      "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
      "/api/v1/webhooks/{id}/ping",
      "/health",
      "/health/ready",
      "/internal/v1/ingest",
      "/internal/v1/users/{userId}",
      "/metrics",
    ]);
    expect(doc.paths["/api/v1/catalog/items"].post.requestBody.content["application/json"].schema).toBeDefined();
    expect(doc.paths["/api/v1/catalog/items/{itemId}"].get.parameters[0]).toMatchObject({ name: "itemId", in: "path" });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("serves Swagger UI from the local package, not a CDN", async () => {
    const page = await h.request("/docs");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui-standalone-preset.js", "/docs/init.js"]) {
      expect(html).toContain(asset);
      const response = await h.request(asset);
      expect(response.status, asset).toBe(200);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(10);
    }
    expect(await (await h.request("/docs/init.js")).text()).toContain('"/openapi.json"');
    expect((await h.request("/docs/package.json")).status).toBe(404);
    expect((await h.request("/docs/..%2F..%2Fpackage.json")).status).toBe(404);
  });
});

describe("health", () => {
  it("is live and ready when Postgres and the Redis REST endpoint answer", async () => {
    expect(await json(await h.request("/health"))).toEqual({ status: "ok" });
    const ready = await h.request("/health/ready");
    expect(ready.status).toBe(200);
    expect(await json(ready)).toMatchObject({ status: "ready", checks: { postgres: { status: "ok" }, redis: { status: "ok" } } });
  });

  it("is not ready (503, per dependency) when the Redis REST endpoint is unreachable", async () => {
    expect((await down.request("/health")).status).toBe(200);
    const ready = await down.request("/health/ready");
    expect(ready.status).toBe(503);
    expect(await json(ready)).toMatchObject({
      status: "unavailable",
      checks: { postgres: { status: "ok" }, redis: { status: "error", error: expect.any(String) } },
    });
  });
});

describe("a database that is down", () => {
  it("answers 503 JSON (retry later), not 500", async () => {
    const { createDatabase } = await import("./db/client.js");
    const gone = await createDatabase({ url: "postgres://postgres@127.0.0.1:2/nothing", maxConnections: 1 });
    try {
      const app = createBackendApp({
        database: gone,
        featureStore: h.featureStore,
        config: { backendToken: BACKEND_TOKEN, corsOrigins: [], isProduction: false },
        logger: createLogger(() => {}),
      });
      const response = await app.request("/internal/v1/ingest", jsonRequest("POST", { events: [] }, bearer(BACKEND_TOKEN)));
      expect(response.status).toBe(200); // an empty batch touches nothing
      const stored = await app.request(
        "/internal/v1/ingest",
        jsonRequest(
          "POST",
          { events: [{ event_id: "e", user_id: "u", session_id: null, item_id: "i", type: "view", value: null, ts: 1, context: null }] },
          bearer(BACKEND_TOKEN),
        ),
      );
      expect(stored.status).toBe(503);
      expect((await json(stored)).error.code).toBe("unavailable");
      const ready = await json(await app.request("/health/ready"));
      expect(ready.checks.postgres).toMatchObject({ status: "error", error: expect.stringContaining("ECONNREFUSED") });
    } finally {
      await gone.close();
    }
  });
});

describe("GET /metrics", () => {
  it("exposes HTTP, ingest, duplicate, lag and catalog metrics in Prometheus text", async () => {
    // A fresh registry, so the counts below are this test's alone.
    const app = createBackendApp({
      database: h.database,
      featureStore: h.featureStore,
      config: { backendToken: BACKEND_TOKEN, corsOrigins: [], isProduction: false },
      logger: createLogger(() => {}),
    });
    await app.request("/api/v1/catalog/items", jsonRequest("POST", { items: [{ item_id: `${h.prefix}-m1`, title: "Metric item" }] }, bearer(h.keys.admin)));
    const events = [
      { event_id: `${h.prefix}-m-e1`, user_id: "mu", session_id: null, item_id: "i", type: "view", value: null, ts: Date.now() - 5000, context: null },
      { event_id: `${h.prefix}-m-e2`, user_id: "mu", session_id: null, item_id: "i", type: "purchase", value: 1, ts: Date.now() - 5000, context: null },
    ];
    await app.request("/internal/v1/ingest", jsonRequest("POST", { events }, bearer(BACKEND_TOKEN)));
    await app.request("/internal/v1/ingest", jsonRequest("POST", { events }, bearer(BACKEND_TOKEN)));

    const response = await app.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/recs_backend_http_requests_total\{route="\/internal\/v1\/ingest",method="POST",status="200"\} 2/);
    expect(text).toMatch(/recs_backend_http_request_duration_seconds_bucket\{le="0.5",route="\/internal\/v1\/ingest",method="POST"\} \d+/);
    expect(text).toMatch(/recs_backend_ingested_events_total\{type="view"\} 1/);
    expect(text).toMatch(/recs_backend_ingested_events_total\{type="purchase"\} 1/);
    expect(text).toMatch(/recs_backend_duplicate_events_total 2/);
    expect(text).toMatch(/recs_backend_ingest_lag_seconds_bucket\{le="10"\} 2/);
    expect(text).toMatch(/recs_backend_ingest_lag_seconds_count 2/);
    expect(text).toMatch(/recs_backend_catalog_items [1-9]\d*/);
    expect(text).toMatch(/recs_backend_feature_store_sync_items_total\{outcome="synced"\} [1-9]/);
  });
});
