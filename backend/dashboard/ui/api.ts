/**
 * The dashboard reads and writes only through the public admin API, with the key the
 * operator typed in. The key lives in sessionStorage: gone when the tab closes, never
 * in a cookie (so no other site can make the browser send it).
 */

const KEY_STORAGE = "recs-dashboard-key";

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

async function call<T>(method: "GET" | "POST", path: string): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${storedKey() ?? ""}` };
  if (method === "POST") headers["content-type"] = "application/json";
  const response = await fetch(path, { method, headers, ...(method === "POST" ? { body: "{}" } : {}) });
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!response.ok) throw new ApiFailure(response.status, body?.error?.message ?? `${method} ${path} answered ${response.status}`);
  return body as T;
}

export const get = <T>(path: string): Promise<T> => call<T>("GET", path);
export const post = <T>(path: string): Promise<T> => call<T>("POST", path);
