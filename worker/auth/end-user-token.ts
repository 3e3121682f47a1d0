/**
 * End-user tokens: JWTs from the customer's identity provider (HS256 with a shared
 * secret, or RS256/ES256 against a JWKS given inline or by URL) and the edge's own
 * anonymous session tokens (session-token.ts). Signatures and claims are checked by
 * jose; this file decides which key and algorithms a token may use and turns every
 * failure into a reason a client can act on, without echoing secrets or key material.
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { IdSchema } from "../../models/events.js";
import type { Env } from "../env.js";
import { SESSION_AUDIENCE, SESSION_ID_PREFIX, SESSION_ISSUER, sessionVerifySecrets } from "./session-token.js";

/** Clock skew between the identity provider, the client and the edge. */
export const LEEWAY_SECONDS = 60;
/** Longer than any sane JWT; bounds the work an anonymous caller can ask for. */
const MAX_TOKEN_LENGTH = 8192;
const ASYMMETRIC_ALGS = ["RS256", "ES256"];
/** The JWKS document is refetched after this, and on an unknown kid at most once per cooldown. */
export const JWKS_CACHE_MS = 10 * 60_000;
export const JWKS_COOLDOWN_MS = 60_000;
const JWKS_TIMEOUT_MS = 2_000;

export type TokenFailure =
  | "token_malformed"
  | "token_alg_not_allowed"
  | "token_bad_signature"
  | "token_expired"
  | "token_not_yet_valid"
  | "token_wrong_issuer"
  | "token_wrong_audience"
  | "token_unknown_key"
  | "token_invalid_claims"
  | "token_not_accepted"
  /** The edge cannot verify any token of this kind (missing configuration): a 503, not the caller's fault. */
  | "not_configured"
  /** The JWKS URL did not answer: a 503, the caller may retry. */
  | "jwks_unavailable";

export class TokenError extends Error {
  constructor(
    readonly reason: TokenFailure,
    message: string,
  ) {
    super(message);
    this.name = "TokenError";
  }
}

export interface EndUser {
  sub: string;
  /** True for the edge's own session tokens. */
  anonymous: boolean;
}

export interface VerifyOptions {
  /** Accept only the edge's session tokens (refreshing a session). */
  sessionOnly?: boolean;
  /** Seconds past `exp` still accepted; refresh allows more than the default leeway. */
  leewaySeconds?: number;
}

/** Three base64url parts: what a JWS compact serialisation looks like, unlike an `rk_` API key. */
export function looksLikeJwt(credential: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(credential);
}

export async function verifyEndUserToken(env: Env, token: string, options: VerifyOptions = {}): Promise<EndUser> {
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenError("token_malformed", "token is too long");
  let alg: string | undefined;
  let issuer: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
    issuer = decodeJwt(token).iss;
  } catch {
    throw new TokenError("token_malformed", "token is not a well-formed JWT");
  }
  // Checked here as well as by jose's `algorithms` so the answer names the problem.
  if (!alg || alg.toLowerCase() === "none") throw new TokenError("token_alg_not_allowed", 'unsigned tokens (alg "none") are refused');
  const leeway = options.leewaySeconds ?? LEEWAY_SECONDS;
  try {
    if (issuer === SESSION_ISSUER) return await verifySessionToken(env, token, leeway);
    if (options.sessionOnly) throw new TokenError("token_wrong_issuer", "only a session token from POST /v1/sessions can be refreshed");
    return await verifyCustomerToken(env, token, alg, leeway);
  } catch (err) {
    throw asTokenError(err);
  }
}

async function verifySessionToken(env: Env, token: string, leeway: number): Promise<EndUser> {
  const secrets = sessionVerifySecrets(env);
  if (!secrets) throw new TokenError("not_configured", "session tokens are not configured on this edge");
  let lastError: unknown = null;
  // The current secret first; the previous one only while a rotation is under way.
  for (const secret of secrets) {
    try {
      const { payload } = await jwtVerify(token, secret, {
        algorithms: ["HS256"],
        issuer: SESSION_ISSUER,
        audience: SESSION_AUDIENCE,
        clockTolerance: leeway,
        requiredClaims: ["exp", "sub"],
      });
      const sub = checkedSubject(payload.sub);
      if (!sub.startsWith(SESSION_ID_PREFIX)) throw new TokenError("token_invalid_claims", "sub: not a session id");
      return { sub, anonymous: true };
    } catch (err) {
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

async function verifyCustomerToken(env: Env, token: string, alg: string, leeway: number): Promise<EndUser> {
  const secret = env.AUTH_JWT_SECRET?.trim();
  const jwks = jwksKeys(env);
  if (!secret && !jwks) throw new TokenError("token_not_accepted", "this edge does not accept identity-provider tokens; use an API key or a session token");
  const issuer = list(env.AUTH_JWT_ISSUER);
  const audience = list(env.AUTH_JWT_AUDIENCE);
  // Without both, any token signed by the key would do for any app: refuse rather than guess.
  if (issuer.length === 0 || audience.length === 0) {
    throw new TokenError("not_configured", "AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE must be set to accept identity-provider tokens");
  }
  const claims = { issuer, audience, clockTolerance: leeway, requiredClaims: ["exp", "sub"] };
  // The algorithm picks the key source, and each source allows only its own algorithms,
  // so a public key can never be used as an HMAC secret.
  let payload: JWTPayload;
  if (alg === "HS256") {
    if (!secret) throw new TokenError("token_alg_not_allowed", "HS256 tokens are not accepted here (no shared secret configured)");
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), { ...claims, algorithms: ["HS256"] }));
  } else if (ASYMMETRIC_ALGS.includes(alg)) {
    if (!jwks) throw new TokenError("token_alg_not_allowed", `${alg} tokens are not accepted here (no JWKS configured)`);
    ({ payload } = await jwtVerify(token, jwks, { ...claims, algorithms: ASYMMETRIC_ALGS }));
  } else {
    throw new TokenError("token_alg_not_allowed", `alg ${JSON.stringify(alg.slice(0, 16))} is not allowed; use HS256, RS256 or ES256`);
  }
  return { sub: checkedSubject(payload.sub), anonymous: false };
}

/** The subject is used as a user id (URLs, Redis keys, Durable Object names), so it must be one. */
function checkedSubject(sub: string | undefined): string {
  if (!IdSchema.safeParse(sub).success) {
    throw new TokenError("token_invalid_claims", "sub: must be a user id (1-128 letters, digits or . _ : @ | -)");
  }
  return sub!;
}

function list(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

// Per isolate: parsed inline sets by their text, remote sets by URL, so the JWKS cache
// and cooldown live as long as the isolate.
const inlineSets = new Map<string, JWTVerifyGetKey | null>();
const remoteSets = new Map<string, JWTVerifyGetKey>();

/** Tests start from an empty JWKS cache. */
export function forgetJwksCache(): void {
  inlineSets.clear();
  remoteSets.clear();
}

function jwksKeys(env: Env): JWTVerifyGetKey | null {
  const inline = inlineJwks(env.AUTH_JWKS);
  const url = env.AUTH_JWKS_URL?.trim();
  const remote = url ? remoteJwks(url) : null;
  if (inline && remote) {
    // Inline keys first (no network); the URL covers keys published since.
    return async (header, token) => {
      try {
        return await inline(header, token);
      } catch (err) {
        if (err instanceof errors.JWKSNoMatchingKey) return await remote(header, token);
        throw err;
      }
    };
  }
  return inline ?? remote;
}

function inlineJwks(raw: string | undefined): JWTVerifyGetKey | null {
  const text = raw?.trim();
  if (!text) return null;
  let set = inlineSets.get(text);
  if (set === undefined) {
    try {
      set = createLocalJWKSet(JSON.parse(text));
    } catch (err) {
      console.warn(JSON.stringify({ level: "warn", msg: "ignoring AUTH_JWKS: not a JSON Web Key Set", error: String(err) }));
      set = null;
    }
    inlineSets.set(text, set);
  }
  return set;
}

function remoteJwks(url: string): JWTVerifyGetKey {
  let set = remoteSets.get(url);
  if (!set) {
    let remote: JWTVerifyGetKey;
    try {
      remote = createRemoteJWKSet(new URL(url), { cacheMaxAge: JWKS_CACHE_MS, cooldownDuration: JWKS_COOLDOWN_MS, timeoutDuration: JWKS_TIMEOUT_MS });
    } catch {
      throw new TokenError("not_configured", "AUTH_JWKS_URL is not a valid URL");
    }
    set = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
        console.warn(JSON.stringify({ level: "warn", msg: "JWKS fetch failed", url, error: String(err) }));
        throw new TokenError("jwks_unavailable", "the identity provider's keys could not be fetched; retry shortly");
      }
    };
    remoteSets.set(url, set);
  }
  return set;
}

function asTokenError(err: unknown): TokenError {
  if (err instanceof TokenError) return err;
  if (err instanceof errors.JWTExpired) return new TokenError("token_expired", "token has expired");
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "nbf") return new TokenError("token_not_yet_valid", "token is not valid yet (nbf)");
    if (err.claim === "iss") return new TokenError("token_wrong_issuer", "token has the wrong issuer (iss)");
    if (err.claim === "aud") return new TokenError("token_wrong_audience", "token has the wrong audience (aud)");
    return new TokenError("token_invalid_claims", `token claim ${err.claim} is ${err.reason === "missing" ? "missing" : "invalid"}`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return new TokenError("token_bad_signature", "token signature does not verify");
  if (err instanceof errors.JOSEAlgNotAllowed) return new TokenError("token_alg_not_allowed", "token algorithm is not allowed for this key");
  if (err instanceof errors.JWKSNoMatchingKey) return new TokenError("token_unknown_key", "no known key matches the token's kid and alg");
  if (err instanceof errors.JWKSMultipleMatchingKeys) return new TokenError("token_unknown_key", "several keys match the token; send a kid");
  return new TokenError("token_malformed", "token could not be verified");
}
