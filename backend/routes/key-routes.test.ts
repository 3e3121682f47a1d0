import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashApiKey, KeySetSchema, type KeySet } from "../../models/api-keys.js";
import { createBackendApp } from "../app.js";
import { createKeySetPublisher, type KeySetPublisher } from "../auth/key-set-publisher.js";
import type { AppEnv } from "../http/app-env.js";
import { silentLogger } from "../logger.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, UNREACHABLE_URL, type Harness } from "../test-support/backend-harness.js";
import { startFakeEdge, type FakeEdge } from "../test-support/fake-edge.js";

let h: Harness;
let edge: FakeEdge;
let publisher: KeySetPublisher;
let app: OpenAPIHono<AppEnv>;

const fast = { attempts: 2, baseDelayMs: 5, maxDelayMs: 10, timeoutMs: 2000 };

function appWith(keyPublisher: KeySetPublisher): OpenAPIHono<AppEnv> {
  return createBackendApp({
    database: h.database,
    featureStore: h.featureStore,
    logger: silentLogger,
    config: { backendToken: BACKEND_TOKEN, corsOrigins: [], isProduction: false },
    keyPublisher,
  });
}

beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
  edge = await startFakeEdge();
  publisher = createKeySetPublisher({ db: h.database.db, edgeUrl: edge.url, edgeAdminToken: "edge-admin", intervalMs: 0, retry: fast });
  app = appWith(publisher);
});

afterAll(async () => {
  publisher?.stop();
  await edge?.close();
  await h?.close();
});

beforeEach(() => {
  edge.requests.length = 0;
});

const admin = () => bearer(h.keys.admin);
const post = (path: string, body: unknown, headers = admin()) => app.request(path, jsonRequest("POST", body, headers));
const get = (path: string, headers = admin()) => app.request(path, { headers });
const del = (path: string, headers = admin()) => app.request(path, { method: "DELETE", headers });
/** A call that needs `recs:read`: the probe for "does this key work". */
const read = (key: string) => app.request("/api/v1/catalog/items?limit=1", { headers: bearer(key) });

async function create(body: Record<string, unknown> = {}): Promise<{ id: string; key: string; [k: string]: unknown }> {
  const response = await post("/api/v1/keys", { name: "storefront", scopes: ["recs:read"], ...body });
  expect(response.status).toBe(201);
  return json(response);
}

/** The key set the edge received last. */
function lastPublished(): KeySet {
  const puts = edge.requests.filter((r) => r.method === "PUT" && r.path === "/v1/admin/keys");
  expect(puts.length).toBeGreaterThan(0);
  expect(puts.at(-1)?.authorization).toBe("Bearer edge-admin");
  return KeySetSchema.parse(puts.at(-1)?.body);
}

describe("POST /api/v1/keys", () => {
  it("creates a working key, shows it once, and publishes the new set to the edge before answering", async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const created = await create({ name: "email sender", scopes: ["recs:read", "recs:bulk"], expires_at: expiresAt });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^key_[0-9a-f]{16}$/),
      key: expect.stringMatching(/^rk_local_[A-Za-z0-9_-]{43}$/),
      name: "email sender",
      scopes: ["recs:read", "recs:bulk"],
      status: "active",
      created_by: `${h.prefix}-admin`,
      expires_at: expiresAt,
      revoked_at: null,
      replaced_by: null,
      publication: { status: "published" },
    });
    expect((await read(created.key)).status).toBe(200);
    const published = lastPublished().keys.find((k) => k.id === created.id);
    expect(published).toEqual({ id: created.id, hash: await hashApiKey(created.key), scopes: ["recs:read", "recs:bulk"], expires_at: Date.parse(expiresAt) });
  });

  it.each([
    [{ scopes: [] }, "scopes"],
    [{ scopes: ["recs:write"] }, "scopes.0"],
    [{ scopes: ["recs:read", "recs:read"] }, "scopes"],
    [{ name: "" }, "name"],
    [{ name: "x".repeat(101) }, "name"],
    [{ expires_at: "2020-01-01T00:00:00Z" }, "expires_at"],
    [{ expires_at: "tomorrow" }, "expires_at"],
    [{ owner: "me" }, "owner"],
  ])("answers 400 naming the field for %j", async (body, field) => {
    const response = await post("/api/v1/keys", { name: "n", scopes: ["recs:read"], ...body });
    expect(response.status).toBe(400);
    expect((await json(response)).error.field).toBe(field);
    expect(edge.requests).toHaveLength(0);
  });

  it("needs the admin scope", async () => {
    expect((await post("/api/v1/keys", { name: "n", scopes: ["admin"] }, bearer(h.keys.client))).status).toBe(403);
    expect((await post("/api/v1/keys", { name: "n", scopes: ["admin"] }, {})).status).toBe(401);
  });
});

describe("GET /api/v1/keys", () => {
  it("lists keys with their status and never a key or a hash", async () => {
    const created = await create({ name: "listed" });
    const revoked = await create({ name: "gone" });
    await del(`/api/v1/keys/${revoked.id}`);
    const response = await get("/api/v1/keys");
    expect(response.status).toBe(200);
    const text = await response.clone().text();
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(await hashApiKey(created.key));
    expect(text).not.toMatch(/hash/i);
    const { keys } = await json(response);
    expect(keys.find((k: { id: string }) => k.id === created.id)).toMatchObject({ name: "listed", status: "active" });
    expect(keys.find((k: { id: string }) => k.id === revoked.id)).toMatchObject({ name: "gone", status: "revoked", revoked_at: expect.any(String) });
    expect(Object.keys(keys[0]).sort()).toEqual(["created_at", "created_by", "expires_at", "id", "name", "replaced_by", "revoked_at", "scopes", "status"]);
  });

  it("serves one key, 404 for an unknown id and 400 for a malformed one", async () => {
    const created = await create({ name: "one" });
    const one = await get(`/api/v1/keys/${created.id}`);
    expect(one.status).toBe(200);
    expect(await json(one)).toMatchObject({ id: created.id, name: "one", status: "active" });
    const missing = await get("/api/v1/keys/key_0000000000000000");
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.field).toBe("id");
    expect((await get("/api/v1/keys/bad%20id")).status).toBe(400);
  });
});

describe("POST /api/v1/keys/{id}/rotate", () => {
  it("issues a new key with the same name and scopes; both work until the grace period ends", async () => {
    const old = await create({ name: "rotating", scopes: ["recs:read", "events:write"] });
    const before = Date.now();
    const response = await post(`/api/v1/keys/${old.id}/rotate`, {});
    expect(response.status).toBe(201);
    const rotated = await json(response);
    expect(rotated).toMatchObject({ name: "rotating", scopes: ["recs:read", "events:write"], status: "active", publication: { status: "published" } });
    expect(rotated.id).not.toBe(old.id);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.replaces).toMatchObject({ id: old.id, replaced_by: rotated.id, status: "active" });
    const graceEnd = Date.parse(rotated.replaces.expires_at);
    expect(graceEnd).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(graceEnd).toBeLessThanOrEqual(Date.now() + 86_400_000);

    expect((await read(old.key)).status).toBe(200);
    expect((await read(rotated.key)).status).toBe(200);
    const keys = lastPublished().keys;
    expect(keys.find((k) => k.id === old.id)?.expires_at).toBe(graceEnd);
    expect(keys.find((k) => k.id === rotated.id)?.hash).toBe(await hashApiKey(rotated.key));

    const again = await post(`/api/v1/keys/${old.id}/rotate`, {});
    expect(again.status).toBe(409);
    expect((await json(again)).error.message).toContain(rotated.id);
  });

  it("with grace 0 refuses the old key at once, at the backend and in the published set", async () => {
    const old = await create({ name: "compromised" });
    const rotated = await json(await post(`/api/v1/keys/${old.id}/rotate`, { grace_seconds: 0 }));
    expect(rotated.replaces.status).toBe("expired");
    const refused = await read(old.key);
    expect(refused.status).toBe(401);
    expect((await json(refused)).error.message).toMatch(/expired/);
    expect((await read(rotated.key)).status).toBe(200);
    const ids = lastPublished().keys.map((k) => k.id);
    expect(ids).toContain(rotated.id);
    expect(ids).not.toContain(old.id);
  });

  it("keeps an old key's earlier expiry", async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const old = await create({ expires_at: expiresAt });
    const rotated = await json(await post(`/api/v1/keys/${old.id}/rotate`, { grace_seconds: 7 * 86_400 }));
    expect(Date.parse(rotated.replaces.expires_at)).toBe(Date.parse(expiresAt));
  });

  it("409s a revoked key, 404s an unknown one, 400s a bad grace period", async () => {
    const old = await create();
    await del(`/api/v1/keys/${old.id}`);
    const revoked = await post(`/api/v1/keys/${old.id}/rotate`, {});
    expect(revoked.status).toBe(409);
    expect((await json(revoked)).error.message).toMatch(/revoked/);
    const unknown = await post("/api/v1/keys/key_0000000000000000/rotate", {});
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error).toMatchObject({ message: 'no API key "key_0000000000000000"', field: "id" });
    const live = await create();
    for (const grace_seconds of [-1, 30 * 86_400 + 1, 1.5, "60"]) {
      const response = await post(`/api/v1/keys/${live.id}/rotate`, { grace_seconds });
      expect(response.status).toBe(400);
      expect((await json(response)).error.field).toBe("grace_seconds");
    }
    expect((await post(`/api/v1/keys/${live.id}/rotate`, { grace_seconds: 30 * 86_400 })).status).toBe(201);
  });
});

describe("DELETE /api/v1/keys/{id}", () => {
  it("revokes at once (backend and published set), idempotently", async () => {
    const created = await create();
    expect((await read(created.key)).status).toBe(200); // now cached by the verifier
    const response = await del(`/api/v1/keys/${created.id}`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ id: created.id, status: "revoked", publication: { status: "published" } });
    const refused = await read(created.key);
    expect(refused.status).toBe(401);
    expect((await json(refused)).error.message).toMatch(/revoked/);
    expect(lastPublished().keys.map((k) => k.id)).not.toContain(created.id);

    const again = await del(`/api/v1/keys/${created.id}`);
    expect(again.status).toBe(200);
    expect((await json(again)).revoked_at).toBe(body.revoked_at);
  });

  it("404s an unknown key and refuses to let a key revoke itself", async () => {
    expect((await del("/api/v1/keys/key_0000000000000000")).status).toBe(404);
    const self = await del(`/api/v1/keys/${h.prefix}-admin`);
    expect(self.status).toBe(409);
    expect((await json(self)).error.field).toBe("id");
    expect((await read(h.keys.admin)).status).toBe(200);
  });
});

describe("expiry", () => {
  it("refuses a key once its expires_at has passed", async () => {
    const created = await create({ expires_at: new Date(Date.now() + 1000).toISOString() });
    expect((await read(created.key)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const refused = await read(created.key);
    expect(refused.status).toBe(401);
    expect((await json(refused)).error.message).toMatch(/expired/);
    expect((await json(await get(`/api/v1/keys/${created.id}`))).status).toBe("expired");
  });
});

describe("when the edge is unreachable", () => {
  it("keeps the change in Postgres and says publication is pending", async () => {
    const down = createKeySetPublisher({ db: h.database.db, edgeUrl: UNREACHABLE_URL, edgeAdminToken: "", intervalMs: 0, retry: fast });
    const offline = appWith(down);
    const created = await offline.request("/api/v1/keys", jsonRequest("POST", { name: "offline", scopes: ["recs:read"] }, admin()));
    expect(created.status).toBe(201);
    const body = await json(created);
    expect(body.publication).toMatchObject({ status: "pending", reason: expect.stringMatching(/ECONNREFUSED/) });
    // Probed through the same app: each app has its own verifier cache, as each server process does.
    const readOffline = (key: string) => offline.request("/api/v1/catalog/items?limit=1", { headers: bearer(key) });
    expect((await readOffline(body.key)).status).toBe(200);

    const revoked = await offline.request(`/api/v1/keys/${body.id}`, { method: "DELETE", headers: admin() });
    expect(revoked.status).toBe(200);
    expect((await json(revoked)).publication.status).toBe("pending");
    expect((await readOffline(body.key)).status).toBe(401);
  });
});

describe("audit", () => {
  it("records create, rotate and revoke with the acting key and no key material", async () => {
    const created = await create({ name: "audited" });
    const rotated = await json(await post(`/api/v1/keys/${created.id}/rotate`, { grace_seconds: 60 }));
    await del(`/api/v1/keys/${rotated.id}`);

    const page = await json(await get("/api/v1/audit?limit=500"));
    const mine = page.entries.filter((e: { target: string }) => e.target === created.id || e.target === rotated.id).reverse();
    expect(mine.map((e: { action: string }) => e.action)).toEqual(["key.create", "key.rotate", "key.revoke"]);
    for (const entry of mine) expect(entry).toMatchObject({ actor: `${h.prefix}-admin`, request_id: expect.any(String) });
    expect(mine[0].detail).toEqual({ name: "audited", scopes: ["recs:read"], expires_at: null });
    expect(mine[1].detail).toMatchObject({ new_key_id: rotated.id, grace_seconds: 60 });
    expect(mine[2].detail).toEqual({ name: "audited", already_revoked: false });

    const everything = JSON.stringify(page);
    for (const secret of [created.key, rotated.key, await hashApiKey(created.key), await hashApiKey(rotated.key)]) {
      expect(everything).not.toContain(secret);
    }
  });
});
