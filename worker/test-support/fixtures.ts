/** Test helpers that run inside workerd: API keys in KV and a typed fetch of the worker. */
import { env, SELF } from "cloudflare:test";
import { hashApiKey, type Scope } from "../../models/api-keys.js";
import { KEYSET_KV_KEY } from "../http/auth.js";

export const KEYS = {
  admin: "rk_test_admin_key_000000000000000000",
  client: "rk_test_client_key_00000000000000000",
  readOnly: "rk_test_readonly_key_000000000000000",
  expired: "rk_test_expired_key_0000000000000000",
} as const;

const GRANTS: Record<keyof typeof KEYS, { scopes: Scope[]; expires_at: number | null }> = {
  admin: { scopes: ["admin"], expires_at: null },
  // recs:bulk too, so route tests call the bulk endpoint with the same key as the others.
  client: { scopes: ["events:write", "recs:read", "recs:bulk"], expires_at: null },
  readOnly: { scopes: ["recs:read"], expires_at: null },
  expired: { scopes: ["events:write", "recs:read"], expires_at: Date.UTC(2020, 0, 1) },
};

export async function seedKeys(): Promise<void> {
  const keys = await Promise.all(
    (Object.keys(KEYS) as Array<keyof typeof KEYS>).map(async (name) => ({
      id: name,
      hash: await hashApiKey(KEYS[name]),
      ...GRANTS[name],
    })),
  );
  await env.CONFIG.put(KEYSET_KV_KEY, JSON.stringify({ keys }));
}

export function api(path: string, init: RequestInit & { key?: string | null; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? KEYS.client : init.key;
  if (key) headers.set("authorization", `Bearer ${key}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return SELF.fetch(`http://edge.test${path}`, { ...init, headers, body });
}

/** A prefix that keeps one test's users and items apart from every other's. */
export function uniq(label: string): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}`;
}
