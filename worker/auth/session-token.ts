/**
 * Anonymous session tokens: short-lived HS256 JWTs the edge signs itself (POST
 * /v1/sessions) so a browser without a login can still send events and read its own
 * recommendations. They are verified by the same path as customer tokens
 * (end-user-token.ts), told apart by their issuer.
 */
import { SignJWT } from "jose";
import type { Env } from "../env.js";

export const SESSION_ISSUER = "edge-recs/sessions";
export const SESSION_AUDIENCE = "edge-recs";
export const SESSION_ID_PREFIX = "anon_";
export const DEFAULT_SESSION_TTL_SECONDS = 3600;
/** Bounds on SESSION_TOKEN_TTL_SECONDS: a token living longer is hardly a session any more. */
const MIN_TTL_SECONDS = 60;
const MAX_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Only outside production, so a fresh checkout works without configuration; the local
 * stack passes a per-machine secret anyway (scripts/local-secrets.ts).
 */
const DEV_SESSION_SECRET = "edge-recs-development-session-secret-not-for-production";

/**
 * The secrets that verify a session token: the current one first, then the previous
 * one while a rotation is under way. Null when production has none configured.
 */
export function sessionVerifySecrets(env: Env): Uint8Array[] | null {
  const current = currentSecret(env);
  if (!current) return null;
  const previous = env.SESSION_TOKEN_SECRET_PREVIOUS?.trim();
  return previous ? [current, encode(previous)] : [current];
}

function currentSecret(env: Env): Uint8Array | null {
  const configured = env.SESSION_TOKEN_SECRET?.trim();
  if (configured) return encode(configured);
  return env.ENVIRONMENT === "production" ? null : encode(DEV_SESSION_SECRET);
}

function encode(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export function sessionTtlSeconds(env: Env): number {
  const n = Number(env.SESSION_TOKEN_TTL_SECONDS);
  if (!env.SESSION_TOKEN_TTL_SECONDS || !Number.isInteger(n)) return DEFAULT_SESSION_TTL_SECONDS;
  return Math.min(MAX_TTL_SECONDS, Math.max(MIN_TTL_SECONDS, n));
}

export function newSessionId(): string {
  return `${SESSION_ID_PREFIX}${crypto.randomUUID().replaceAll("-", "")}`;
}

export interface IssuedSession {
  session_id: string;
  token: string;
  /** ISO-8601. */
  expires_at: string;
}

/** Null when no signing secret is configured (production without SESSION_TOKEN_SECRET). */
export async function issueSessionToken(env: Env, sessionId: string, nowMs: number): Promise<IssuedSession | null> {
  const secret = currentSecret(env);
  if (!secret) return null;
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + sessionTtlSeconds(env);
  const token = await new SignJWT({ anon: true })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(SESSION_ISSUER)
    .setAudience(SESSION_AUDIENCE)
    .setSubject(sessionId)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(secret);
  return { session_id: sessionId, token, expires_at: new Date(exp * 1000).toISOString() };
}
