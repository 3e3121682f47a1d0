/**
 * Signed manifests: the backend signs each manifest with HMAC-SHA256 (RFC 2104) over its
 * canonical form, and the edge refuses any manifest whose signature does not verify under
 * a key it holds. The manifest pins every artifact's sha256 and size, so one signature
 * covers every byte the edge will run: the admin token alone can no longer activate a
 * model, and a file or manifest changed in R2 after publishing fails to load.
 *
 * Canonical form: a domain tag, then the manifest without its `signature` as JSON with
 * object keys sorted at every depth (arrays keep their order), so the same manifest signs
 * the same in Node and workerd whatever order its fields were built in.
 *
 * Keys are named by a key id sent with the signature, so a rotation can run with two
 * keys at once (current and previous). The id defaults to a hash of the secret, which can
 * never disagree with it; an explicit id may be configured instead.
 */
import { sha256Hex } from "./hash.js";
import type { Manifest, ManifestSignature } from "./model-manifest.js";

export const SIGNATURE_ALG = "HMAC-SHA256";
const DOMAIN = "edge-recs/model-manifest/v1\n";

/** Used outside production when no key is configured; production refuses to run without one. */
export const DEVELOPMENT_SIGNING_SECRET = "edge-recs-development-model-signing-key";

export interface SigningKey {
  id: string;
  secret: string;
}

export type SignatureRefusal = "manifest_unsigned" | "signature_unknown_key" | "signature_mismatch";
export type SignatureCheck = { ok: true; keyId: string } | { ok: false; code: SignatureRefusal; message: string };

/** JSON with sorted object keys at every depth; `undefined` members are dropped as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function manifestSigningBytes(manifest: Manifest): Uint8Array {
  const { signature: _ignored, ...unsigned } = manifest;
  return new TextEncoder().encode(DOMAIN + canonicalJson(unsigned));
}

/** "k-" and 16 hex digits of sha256 of the secret: names the key without revealing it. */
export async function derivedKeyId(secret: string): Promise<string> {
  return `k-${await sha256Hex(`${DOMAIN}key-id\n${secret}`, 8)}`;
}

/** A key from its secret and optional configured id. */
export async function signingKey(secret: string, id?: string): Promise<SigningKey> {
  const trimmed = id?.trim();
  return { secret, id: trimmed ? trimmed : await derivedKeyId(secret) };
}

function hmacKey(secret: string, usage: "sign" | "verify") {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

const toHex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The manifest with `signature` set (any earlier signature replaced). */
export async function signManifest(manifest: Manifest, key: SigningKey): Promise<Manifest> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(key.secret, "sign"), manifestSigningBytes(manifest));
  const signature: ManifestSignature = { alg: SIGNATURE_ALG, key_id: key.id, value: toHex(mac) };
  return { ...manifest, signature };
}

/** Verifies against the key the signature names; WebCrypto's verify compares in constant time. */
export async function verifyManifest(manifest: Manifest, keys: readonly SigningKey[]): Promise<SignatureCheck> {
  const sig = manifest.signature;
  if (!sig) return { ok: false, code: "manifest_unsigned", message: "the manifest is not signed" };
  const key = keys.find((k) => k.id === sig.key_id);
  if (!key) {
    const known = keys.map((k) => k.id).join(", ") || "none";
    return {
      ok: false,
      code: "signature_unknown_key",
      message: `the manifest is signed with key ${sig.key_id}, which this edge does not hold (it holds: ${known})`,
    };
  }
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(key.secret, "verify"), fromHex(sig.value), manifestSigningBytes(manifest));
  return valid
    ? { ok: true, keyId: key.id }
    : {
        ok: false,
        code: "signature_mismatch",
        message: `the signature does not match the manifest's content under key ${sig.key_id}: it was changed after signing`,
      };
}
