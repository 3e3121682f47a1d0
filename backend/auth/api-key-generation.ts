/**
 * API key format: `rk_<env>_` + 32 random bytes (base64url). The environment label is
 * part of the key so a key can be recognised — and a development key refused by
 * production — from the key alone.
 */
import { randomBytes } from "node:crypto";
import { LOCAL_KEY_PREFIX } from "../../models/api-keys.js";

/** Development keys carry LOCAL_KEY_PREFIX (`rk_local_`); production ones `rk_live_`. */
export function keyPrefixFor(environment: string): string {
  if (environment === "production") return "rk_live_";
  if (environment === "development" || environment === "local" || environment === "test") return LOCAL_KEY_PREFIX;
  return `rk_${environment.replace(/[^a-z0-9]/g, "")}_`;
}

export function generateApiKey(environment: string): string {
  return `${keyPrefixFor(environment)}${randomBytes(32).toString("base64url")}`;
}

export function generateKeyId(): string {
  return `key_${randomBytes(8).toString("hex")}`;
}

export function isLocalKey(key: string): boolean {
  return key.startsWith(LOCAL_KEY_PREFIX);
}
