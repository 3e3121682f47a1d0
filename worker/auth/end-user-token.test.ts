import "../test-support/fixtures.js";
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { signingKey, signWith, unsignedToken, userToken, type TestSigningKey } from "../test-support/tokens.js";
import { forgetJwksCache, looksLikeJwt, TokenError, verifyEndUserToken, type TokenFailure } from "./end-user-token.js";
import { issueSessionToken, SESSION_ISSUER } from "./session-token.js";

async function failure(promise: Promise<unknown>): Promise<TokenFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TokenError) return err.reason;
    throw err;
  }
  throw new Error("expected the token to be refused");
}

beforeEach(() => forgetJwksCache());

describe("customer tokens, HS256 shared secret", () => {
  it("accepts a valid token and returns its subject", async () => {
    await expect(verifyEndUserToken(env, await userToken("user-1"))).resolves.toEqual({ sub: "user-1", anonymous: false });
  });

  it("says which check failed", async () => {
    expect(await failure(verifyEndUserToken(env, await userToken("u", { expiresIn: -120 })))).toBe("token_expired");
    expect(await failure(verifyEndUserToken(env, await userToken("u", { notBefore: 300 })))).toBe("token_not_yet_valid");
    expect(await failure(verifyEndUserToken(env, await userToken("u", { iss: "https://evil.test/" })))).toBe("token_wrong_issuer");
    expect(await failure(verifyEndUserToken(env, await userToken("u", { aud: "another-app" })))).toBe("token_wrong_audience");
    expect(await failure(verifyEndUserToken(env, await userToken("u", { secret: "not-the-shared-secret-at-all-0000" })))).toBe("token_bad_signature");
    expect(await failure(verifyEndUserToken(env, await userToken("bad user id!")))).toBe("token_invalid_claims");
  });

  it("allows 60 s of clock skew on exp and nbf", async () => {
    await expect(verifyEndUserToken(env, await userToken("u", { expiresIn: -30 }))).resolves.toMatchObject({ sub: "u" });
    await expect(verifyEndUserToken(env, await userToken("u", { notBefore: 30 }))).resolves.toMatchObject({ sub: "u" });
  });

  it("refuses alg none, unknown algorithms and junk", async () => {
    const now = Math.floor(Date.now() / 1000);
    const none = unsignedToken({ sub: "u", iss: env.AUTH_JWT_ISSUER, aud: env.AUTH_JWT_AUDIENCE, exp: now + 600 });
    expect(looksLikeJwt(none)).toBe(true);
    expect(await failure(verifyEndUserToken(env, none))).toBe("token_alg_not_allowed");
    const hs512 = `${none.replace(/^[^.]+/, btoa(JSON.stringify({ alg: "HS512" })).replace(/=+$/, ""))}c2ln`;
    expect(await failure(verifyEndUserToken(env, hs512))).toBe("token_alg_not_allowed");
    expect(await failure(verifyEndUserToken(env, "a.b.c"))).toBe("token_malformed");
    expect(looksLikeJwt("rk_test_client_key_00000000000000000")).toBe(false);
  });

  it("refuses a token without exp or sub", async () => {
    const secret = new TextEncoder().encode(env.AUTH_JWT_SECRET!);
    const { SignJWT } = await import("jose");
    const noExp = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u")
      .setIssuer(env.AUTH_JWT_ISSUER!)
      .setAudience(env.AUTH_JWT_AUDIENCE!)
      .sign(secret);
    expect(await failure(verifyEndUserToken(env, noExp))).toBe("token_invalid_claims");
    const noSub = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("5m")
      .setIssuer(env.AUTH_JWT_ISSUER!)
      .setAudience(env.AUTH_JWT_AUDIENCE!)
      .sign(secret);
    expect(await failure(verifyEndUserToken(env, noSub))).toBe("token_invalid_claims");
  });

  it("refuses identity-provider tokens when none are configured, and needs issuer and audience", async () => {
    const token = await userToken("u");
    expect(await failure(verifyEndUserToken({ ...env, AUTH_JWT_SECRET: undefined }, token))).toBe("token_not_accepted");
    expect(await failure(verifyEndUserToken({ ...env, AUTH_JWT_AUDIENCE: undefined }, token))).toBe("not_configured");
  });
});

describe("customer tokens, RS256 / ES256 against a JWKS", () => {
  let rsa: TestSigningKey;
  let ec: TestSigningKey;
  let jwksEnv: typeof env;

  beforeEach(async () => {
    rsa = await signingKey("RS256", "rsa-1");
    ec = await signingKey("ES256", "ec-1");
    jwksEnv = { ...env, AUTH_JWT_SECRET: undefined, AUTH_JWKS: JSON.stringify({ keys: [rsa.publicJwk, ec.publicJwk] }) };
  });

  it("accepts RS256 and ES256 tokens signed by a published key", async () => {
    await expect(verifyEndUserToken(jwksEnv, await signWith(rsa, { sub: "r-user" }))).resolves.toEqual({ sub: "r-user", anonymous: false });
    await expect(verifyEndUserToken(jwksEnv, await signWith(ec, { sub: "e-user" }))).resolves.toEqual({ sub: "e-user", anonymous: false });
  });

  it("refuses an unknown kid, a key of another party, expiry and wrong audience", async () => {
    expect(await failure(verifyEndUserToken(jwksEnv, await signWith(rsa, { sub: "u", kid: "rotated-away" })))).toBe("token_unknown_key");
    const stranger = await signingKey("RS256", "rsa-1");
    expect(await failure(verifyEndUserToken(jwksEnv, await signWith(stranger, { sub: "u" })))).toBe("token_bad_signature");
    expect(await failure(verifyEndUserToken(jwksEnv, await signWith(ec, { sub: "u", expiresIn: -120 })))).toBe("token_expired");
    expect(await failure(verifyEndUserToken(jwksEnv, await signWith(ec, { sub: "u", aud: "other" })))).toBe("token_wrong_audience");
  });

  it("refuses an HS256 token when only a JWKS is configured (no public key used as an HMAC secret)", async () => {
    expect(await failure(verifyEndUserToken(jwksEnv, await userToken("u")))).toBe("token_alg_not_allowed");
  });

  describe("fetched from AUTH_JWKS_URL", () => {
    const realFetch = globalThis.fetch;
    let fetches = 0;
    let published: unknown[] = [];

    beforeEach(() => {
      fetches = 0;
      published = [rsa.publicJwk];
      globalThis.fetch = async () => {
        fetches++;
        return Response.json({ keys: published });
      };
    });
    afterEach(() => {
      globalThis.fetch = realFetch;
      vi.useRealTimers();
    });

    it("caches the key set, refetches an unknown kid at most once a minute", async () => {
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
      const urlEnv = { ...env, AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: "https://idp.workerd.test/.well-known/jwks.json" };
      await expect(verifyEndUserToken(urlEnv, await signWith(rsa, { sub: "u" }))).resolves.toMatchObject({ sub: "u" });
      await expect(verifyEndUserToken(urlEnv, await signWith(rsa, { sub: "u" }))).resolves.toMatchObject({ sub: "u" });
      expect(fetches).toBe(1);

      // The provider rotates in a new key: inside the cooldown the edge does not refetch…
      published = [rsa.publicJwk, ec.publicJwk];
      expect(await failure(verifyEndUserToken(urlEnv, await signWith(ec, { sub: "u" })))).toBe("token_unknown_key");
      expect(fetches).toBe(1);
      // …after it, an unknown kid triggers one refetch, and the new key verifies.
      vi.setSystemTime(Date.now() + 61_000);
      await expect(verifyEndUserToken(urlEnv, await signWith(ec, { sub: "u" }))).resolves.toMatchObject({ sub: "u" });
      expect(fetches).toBe(2);
      await expect(verifyEndUserToken(urlEnv, await signWith(ec, { sub: "u" }))).resolves.toMatchObject({ sub: "u" });
      expect(fetches).toBe(2);
    });

    it("answers jwks_unavailable (not a crash) when the URL fails", async () => {
      globalThis.fetch = async () => new Response("down", { status: 502 });
      const urlEnv = { ...env, AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: "https://idp-down.workerd.test/jwks.json" };
      expect(await failure(verifyEndUserToken(urlEnv, await signWith(rsa, { sub: "u" })))).toBe("jwks_unavailable");
    });
  });
});

describe("session tokens", () => {
  it("issues a token for an anon_ session that verifies as an anonymous user", async () => {
    const issued = (await issueSessionToken(env, "anon_abc123", Date.now()))!;
    expect(issued.session_id).toBe("anon_abc123");
    expect(Date.parse(issued.expires_at) - Date.now()).toBeGreaterThan(3500_000);
    expect(Date.parse(issued.expires_at) - Date.now()).toBeLessThanOrEqual(3600_000);
    await expect(verifyEndUserToken(env, issued.token)).resolves.toEqual({ sub: "anon_abc123", anonymous: true });
  });

  it("expires, and is refused when signed with another secret", async () => {
    const old = (await issueSessionToken(env, "anon_old", Date.now() - 2 * 3600_000))!;
    expect(await failure(verifyEndUserToken(env, old.token))).toBe("token_expired");
    const forged = (await issueSessionToken({ ...env, SESSION_TOKEN_SECRET: "someone-elses-secret-0123456789" }, "anon_x", Date.now()))!;
    expect(await failure(verifyEndUserToken(env, forged.token))).toBe("token_bad_signature");
  });

  it("still verifies tokens of the previous secret during a rotation", async () => {
    const before = (await issueSessionToken(env, "anon_rot", Date.now()))!;
    const rotated = { ...env, SESSION_TOKEN_SECRET: "the-new-session-secret-0123456789abcdef", SESSION_TOKEN_SECRET_PREVIOUS: env.SESSION_TOKEN_SECRET };
    await expect(verifyEndUserToken(rotated, before.token)).resolves.toEqual({ sub: "anon_rot", anonymous: true });
    const after = (await issueSessionToken(rotated, "anon_rot", Date.now()))!;
    await expect(verifyEndUserToken(rotated, after.token)).resolves.toMatchObject({ sub: "anon_rot" });
    // Once the previous secret is dropped, the old token is refused.
    expect(await failure(verifyEndUserToken({ ...rotated, SESSION_TOKEN_SECRET_PREVIOUS: undefined }, before.token))).toBe("token_bad_signature");
  });

  it("needs a secret in production, falls back to a development one elsewhere", async () => {
    expect(await issueSessionToken({ ...env, ENVIRONMENT: "production", SESSION_TOKEN_SECRET: undefined }, "anon_p", Date.now())).toBeNull();
    const dev = { ...env, ENVIRONMENT: "development", SESSION_TOKEN_SECRET: undefined };
    const issued = (await issueSessionToken(dev, "anon_d", Date.now()))!;
    await expect(verifyEndUserToken(dev, issued.token)).resolves.toMatchObject({ sub: "anon_d" });
    expect(await failure(verifyEndUserToken({ ...dev, ENVIRONMENT: "production" }, issued.token))).toBe("not_configured");
  });

  it("cannot be forged with the identity provider's secret (issuer decides the key)", async () => {
    const fake = await userToken("anon_victim", { iss: SESSION_ISSUER, aud: "edge-recs" });
    expect(await failure(verifyEndUserToken(env, fake))).toBe("token_bad_signature");
  });
});
