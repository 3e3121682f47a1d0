/**
 * End-user tokens for workerd tests: signed with the test identity provider's secret
 * (test/workerd-test-env.ts), or with keys a test generates and publishes as a JWKS.
 */
import { env } from "cloudflare:test";
import { exportJWK, SignJWT, type JWK, type JWTPayload } from "jose";

export interface TokenOptions {
  sub?: string;
  iss?: string;
  aud?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Seconds from now. */
  notBefore?: number;
  claims?: JWTPayload;
}

function claimsFor(o: TokenOptions): SignJWT {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...o.claims })
    .setIssuer(o.iss ?? env.AUTH_JWT_ISSUER!)
    .setAudience(o.aud ?? env.AUTH_JWT_AUDIENCE!)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expiresIn ?? 600));
  if (o.sub !== undefined) jwt.setSubject(o.sub);
  if (o.notBefore !== undefined) jwt.setNotBefore(now + o.notBefore);
  return jwt;
}

/** An HS256 token from the test identity provider (AUTH_JWT_SECRET). */
export async function userToken(sub: string, o: Omit<TokenOptions, "sub"> & { secret?: string } = {}): Promise<string> {
  return await claimsFor({ ...o, sub })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(o.secret ?? env.AUTH_JWT_SECRET!));
}

export interface TestSigningKey {
  alg: "RS256" | "ES256";
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** A fresh key pair made with WebCrypto, and its public half as a JWK. */
export async function signingKey(alg: "RS256" | "ES256", kid: string): Promise<TestSigningKey> {
  const params =
    alg === "RS256"
      ? { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }
      : { name: "ECDSA", namedCurve: "P-256" };
  const pair = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: "sig" };
  return { alg, kid, privateKey: pair.privateKey, publicJwk };
}

export async function signWith(key: TestSigningKey, o: TokenOptions & { kid?: string }): Promise<string> {
  return await claimsFor(o)
    .setProtectedHeader({ alg: key.alg, kid: o.kid ?? key.kid, typ: "JWT" })
    .sign(key.privateKey);
}

/** `header.payload.` with alg "none": what an attacker sends hoping the check is skipped. */
export function unsignedToken(payload: JWTPayload): string {
  const b64 = (v: unknown) => btoa(JSON.stringify(v)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return `${b64({ alg: "none", typ: "JWT" })}.${b64(payload)}.`;
}
