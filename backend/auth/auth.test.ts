import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey, LOCAL_KEY_PREFIX } from "../../models/api-keys.js";
import { createBackendApp } from "../app.js";
import { silentLogger } from "../logger.js";
import { bearer, json, startHarness, type Harness } from "../test-support/backend-harness.js";
import { generateApiKey, keyPrefixFor } from "./api-key-generation.js";
import { createApiKey, listPublishableKeys, revokeApiKey, seedLocalKeys, upsertApiKey } from "./api-key-store.js";
import { createApiKeyVerifier } from "./api-key-verifier.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
});
afterAll(() => h.close());

const read = (headers: Record<string, string>) => h.request("/api/v1/catalog/items?limit=1", { headers });

describe("API key generation", () => {
  it("makes rk_<env>_ + 32 random bytes in base64url, local keys for development", () => {
    const key = generateApiKey("development");
    expect(key.startsWith(LOCAL_KEY_PREFIX)).toBe(true);
    expect(key.slice(LOCAL_KEY_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(LOCAL_KEY_PREFIX.length), "base64url")).toHaveLength(32);
    expect(generateApiKey("production").startsWith("rk_live_")).toBe(true);
    expect(keyPrefixFor("staging")).toBe("rk_staging_");
    expect(generateApiKey("development")).not.toBe(generateApiKey("development"));
  });
});

describe("requireScope", () => {
  it("answers 401 JSON without a key, with a malformed header, or with an unknown key", async () => {
    for (const headers of [{}, { authorization: "Basic abc" }, { authorization: "Bearer" }, bearer("rk_local_nope_000000000000")]) {
      const response = await read(headers);
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toMatch(/application\/json/);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await json(response)).error.code).toBe("unauthorized");
    }
  });

  it("answers 401 for a revoked key and for an expired key", async () => {
    const revoked = await createApiKey(h.database.db, { name: "r", scopes: ["admin"], environment: "development" });
    await revokeApiKey(h.database.db, revoked.id);
    const response = await read(bearer(revoked.key));
    expect(response.status).toBe(401);
    expect((await json(response)).error.message).toMatch(/revoked/);

    const expired = await createApiKey(h.database.db, {
      name: "e",
      scopes: ["admin"],
      environment: "development",
      expiresAt: new Date(Date.now() - 1000),
    });
    const expiredResponse = await read(bearer(expired.key));
    expect(expiredResponse.status).toBe(401);
    expect((await json(expiredResponse)).error.message).toMatch(/expired/);
  });

  it("answers 403 JSON when the key lacks the scope, and 200 when it has it", async () => {
    const forbidden = await read(bearer(h.keys.writer));
    expect(forbidden.status).toBe(403);
    expect((await json(forbidden)).error).toMatchObject({ code: "forbidden", message: 'API key lacks the "recs:read" scope' });
    expect((await read(bearer(h.keys.reader))).status).toBe(200);
    expect((await read(bearer(h.keys.admin))).status).toBe(200); // admin implies every scope
    expect((await read({ authorization: `bearer   ${h.keys.reader}` })).status).toBe(200);
  });

  it("refuses local keys in production even when they are stored", async () => {
    const localKey = `${LOCAL_KEY_PREFIX}${h.prefix}_seeded_in_dev`;
    await upsertApiKey(h.database.db, { id: `${h.prefix}-dev`, name: "dev", key: localKey, scopes: ["admin"] });
    const production = createBackendApp({
      database: h.database,
      featureStore: h.featureStore,
      logger: silentLogger,
      config: { backendToken: "t", corsOrigins: [], isProduction: true, userIdHashKey: "k".repeat(32) },
    });
    const response = await production.request("/api/v1/catalog/items?limit=1", { headers: bearer(localKey) });
    expect(response.status).toBe(401);
    expect((await json(response)).error.message).toMatch(/production/);
    expect((await production.request("/api/v1/catalog/items?limit=1", { headers: bearer(h.keys.reader) })).status).toBe(200);
  });
});

describe("createApiKeyVerifier cache", () => {
  it("caches lookups for the TTL (revocation shows after it) but checks expiry on every call", async () => {
    let now = Date.now();
    const verifier = createApiKeyVerifier({ db: h.database.db, isProduction: false, cacheTtlMs: 30_000, now: () => now });
    const key = await createApiKey(h.database.db, {
      name: "c",
      scopes: ["recs:read"],
      environment: "development",
      expiresAt: new Date(now + 60_000),
    });
    expect(await verifier.verify(key.key)).toMatchObject({ ok: true, scopes: ["recs:read"] });
    await revokeApiKey(h.database.db, key.id);
    expect((await verifier.verify(key.key)).ok).toBe(true); // cached
    now += 30_001;
    expect(await verifier.verify(key.key)).toEqual({ ok: false, reason: "revoked" });

    const expiring = await createApiKey(h.database.db, {
      name: "x",
      scopes: ["recs:read"],
      environment: "development",
      expiresAt: new Date(now + 10),
    });
    expect((await verifier.verify(expiring.key)).ok).toBe(true);
    now += 11;
    expect(await verifier.verify(expiring.key)).toEqual({ ok: false, reason: "expired" });
  });

  it("never caches longer than 30 s", async () => {
    let now = Date.now();
    const verifier = createApiKeyVerifier({ db: h.database.db, isProduction: false, cacheTtlMs: 3_600_000, now: () => now });
    const key = await createApiKey(h.database.db, { name: "l", scopes: ["admin"], environment: "development" });
    expect((await verifier.verify(key.key)).ok).toBe(true);
    await revokeApiKey(h.database.db, key.id);
    now += 30_001;
    expect((await verifier.verify(key.key)).ok).toBe(false);
  });
});

describe("key store", () => {
  it("seeds the configured local keys with their scopes, never in production", async () => {
    const config = { isProduction: false, localAdminKey: `rk_local_${h.prefix}_a`, localClientKey: `rk_local_${h.prefix}_c` };
    expect(await seedLocalKeys(h.database.db, config)).toEqual(["local-admin", "local-client"]);
    const published = await listPublishableKeys(h.database.db);
    expect(published.find((k) => k.id === "local-admin")).toEqual({
      id: "local-admin",
      hash: await hashApiKey(config.localAdminKey),
      scopes: ["admin"],
      expires_at: null,
    });
    expect(published.find((k) => k.id === "local-client")?.scopes).toEqual(["events:write", "recs:read", "recs:bulk"]);
    expect(await seedLocalKeys(h.database.db, { ...config, isProduction: true })).toEqual([]);
  });

  it("publishes neither revoked nor expired keys, and expiry as epoch ms", async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const live = await createApiKey(h.database.db, { name: "p", scopes: ["recs:read"], environment: "development", expiresAt });
    const gone = await createApiKey(h.database.db, { name: "g", scopes: ["recs:read"], environment: "development" });
    await revokeApiKey(h.database.db, gone.id);
    const published = await listPublishableKeys(h.database.db);
    expect(published.find((k) => k.id === live.id)?.expires_at).toBe(expiresAt.getTime());
    expect(published.find((k) => k.id === gone.id)).toBeUndefined();
  });
});
