/**
 * Webhook signatures: HMAC-SHA256 (RFC 2104) over `<unix seconds>.<raw body>` with the
 * subscription's secret, sent as `X-Recs-Signature: t=<unix seconds>,v1=<hex>`. The
 * timestamp is inside the signed text, so a captured delivery cannot be replayed later
 * with a new time; receivers reject signatures older than a tolerance (five minutes).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-recs-signature";
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureOf(secret: string, timestampSeconds: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex");
}

export function signatureHeader(secret: string, timestampSeconds: number, body: string): string {
  return `t=${timestampSeconds},v1=${signatureOf(secret, timestampSeconds, body)}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** What a receiver does; exported for receivers written in TypeScript and for the tests. */
export function verifySignature(
  secret: string,
  header: string | null | undefined,
  body: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return { ok: false, reason: "no signature header" };
  const parts = new Map(header.split(",").map((p) => p.trim().split("=", 2) as [string, string]));
  const t = Number(parts.get("t"));
  const given = parts.get("v1") ?? "";
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(given)) return { ok: false, reason: "malformed signature header" };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: "timestamp outside the tolerance" };
  const expected = Buffer.from(signatureOf(secret, t, body), "hex");
  return timingSafeEqual(expected, Buffer.from(given, "hex")) ? { ok: true } : { ok: false, reason: "signature mismatch" };
}
