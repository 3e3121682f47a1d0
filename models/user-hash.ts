/**
 * Keyed hash of user ids: HMAC-SHA256 as hex, through WebCrypto so the edge (workerd)
 * and the backend (Node) compute the same value. Logs, erasure tombstones and the audit
 * trail carry this hash instead of the raw id: it still joins records of one user, but
 * without the key it cannot be reversed by hashing a list of guessed ids (a plain sha256
 * of short ids could be).
 */
export const USER_ID_HASH_KEY_VAR = "USER_ID_HASH_KEY";

/**
 * Used only outside production, so local runs and tests need no setup; edge and backend
 * share it, so their hashes agree there too.
 */
export const DEV_USER_ID_HASH_KEY = "dev-only-user-id-hash-key";

/** WebCrypto's key type, named without the DOM lib (the Node build does not load it). */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const keyCache = new Map<string, Promise<HmacKey>>();

function importKey(secret: string): Promise<HmacKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    // One or two keys live in a process; the cache saves an import per hashed id.
    keyCache.set(secret, key);
  }
  return key;
}

/**
 * Recent answers, newest last: the edge hashes the user of every request for its log
 * line, and the same users come back within seconds. Bounded, so a flood of new ids
 * costs a hash each and no memory.
 */
const recent = new Map<string, string>();
const RECENT_HASHES = 10_000;

export async function hashUserId(userId: string, secret: string): Promise<string> {
  if (secret.length === 0) throw new Error(`${USER_ID_HASH_KEY_VAR} must not be empty`);
  const memoKey = `${secret}\u0000${userId}`;
  const known = recent.get(memoKey);
  if (known !== undefined) return known;
  const mac = await crypto.subtle.sign("HMAC", await importKey(secret), new TextEncoder().encode(userId));
  const hex = Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
  if (recent.size >= RECENT_HASHES) recent.delete(recent.keys().next().value!);
  recent.set(memoKey, hex);
  return hex;
}

/**
 * The key to hash with: the configured one, else the development default — except in
 * production, where a missing key is a configuration error (a default key known to
 * everyone would make the hashes reversible by guessing).
 */
export function resolveUserIdHashKey(configured: string | undefined, production: boolean): string {
  const key = configured?.trim() ?? "";
  if (key !== "") return key;
  if (production) throw new Error(`${USER_ID_HASH_KEY_VAR} must be set in production`);
  return DEV_USER_ID_HASH_KEY;
}
