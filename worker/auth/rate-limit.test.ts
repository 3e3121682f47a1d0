import { seedKeys, uniq } from "../test-support/fixtures.js";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashApiKey } from "../../models/api-keys.js";
import { createApp } from "../app.js";
import { KEYSET_KV_KEY, forgetKeySet } from "../http/auth.js";
import { userToken } from "../test-support/tokens.js";
import { forgetRateLimitBlocks, LIMITER_TIMEOUT_MS } from "./rate-limit.js";

const app = createApp();
/** A fast window so recovery is observable: 3 requests per 2 s for a user. */
const limited = { ...env, RATE_LIMIT_USER_PER_MINUTE: "3", RATE_LIMIT_KEY_PER_MINUTE: "5", RATE_LIMIT_WINDOW_SECONDS: "2" };
/** A slow refill (5 per minute) where the test counts exact tokens. */
const perMinute = { ...limited, RATE_LIMIT_WINDOW_SECONDS: "60" };

/**
 * Calls until refused: the bucket refills while the calls run, so on a loaded machine
 * a fourth call may still fit; at most a few more must be refused.
 */
async function floodUntilRefused(token: string, bindings: typeof env = limited): Promise<Response> {
  for (let i = 0; i < 6; i++) {
    const res = await call("/v1/popular", token, bindings);
    if (res.status === 429) return res;
    expect(res.status).toBe(200);
  }
  throw new Error("never refused");
}

async function call(path: string, credential: string, bindings: typeof env = limited, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${credential}`);
  const res = await app.fetch(new Request(`http://edge.test${path}`, { ...init, headers }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const bulk = (key: string, users: number) =>
  call("/v1/recommendations/bulk", key, perMinute, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_ids: Array.from({ length: users }, (_, i) => `rl-bulk-${i}`), limit: 1 }),
  });

/** The bindings with a limiter that counts the calls made to its objects. */
function countingLimiter(bindings: typeof env): { bindings: typeof env; calls: () => number } {
  let calls = 0;
  const RATE_LIMITER = {
    idFromName: (name: string) => env.RATE_LIMITER.idFromName(name),
    get: (id: DurableObjectId) => {
      calls++;
      return env.RATE_LIMITER.get(id);
    },
  } as unknown as typeof env.RATE_LIMITER;
  return { bindings: { ...bindings, RATE_LIMITER }, calls: () => calls };
}

/** Our own key per test, so buckets never carry over between tests. */
async function freshKey(): Promise<string> {
  const key = `rk_test_ratelimit_${crypto.randomUUID().replaceAll("-", "")}`;
  const set = (await env.CONFIG.get<{ keys: unknown[] }>(KEYSET_KV_KEY, "json"))!;
  set.keys.push({ id: uniq("rl-key"), hash: await hashApiKey(key), scopes: ["recs:read", "recs:bulk"], expires_at: null });
  await env.CONFIG.put(KEYSET_KV_KEY, JSON.stringify(set));
  forgetKeySet();
  return key;
}

beforeAll(async () => {
  await seedKeys();
});
beforeEach(() => forgetRateLimitBlocks());

describe("rate limits", () => {
  it("refuses a user over the limit with 429 and Retry-After, leaves others alone, and recovers", async () => {
    const flooder = await userToken(uniq("rl-flood"));
    for (let i = 0; i < 3; i++) {
      const ok = await call("/v1/popular", flooder);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("ratelimit-limit")).toBe("3");
      expect(ok.headers.get("ratelimit-policy")).toBe("3;w=2");
    }
    const refused = await floodUntilRefused(flooder);
    expect((await refused.json<{ error: { code: string } }>()).error.code).toBe("rate_limited");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");

    expect((await call("/v1/popular", await userToken(uniq("rl-calm")))).status).toBe(200);

    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    expect((await call("/v1/popular", flooder)).status).toBe(200);
  });

  it("refuses a known flooder in the isolate, without asking the Durable Object", async () => {
    const { bindings: counting, calls } = countingLimiter(limited);
    const flooder = await userToken(uniq("rl-flood"));
    await floodUntilRefused(flooder, counting);
    const before = calls();
    expect((await call("/v1/popular", flooder, counting)).status).toBe(429);
    expect((await call("/v1/popular", flooder, counting)).status).toBe(429);
    expect(calls()).toBe(before);
  });

  it("spends a lease in the isolate: one object call per lease, the limit exact, the remaining header counting down", async () => {
    // 100 an hour leases 1 token per call; the refill (one per 36 s) stays out of the count.
    const { bindings: leasing, calls } = countingLimiter({ ...env, RATE_LIMIT_USER_PER_MINUTE: "100", RATE_LIMIT_WINDOW_SECONDS: "3600" });
    const token = await userToken(uniq("rl-lease"));
    let allowed = 0;
    for (let i = 0; i < 110; i++) {
      const res = await call("/v1/popular", token, leasing);
      if (res.status !== 200) {
        expect(res.status).toBe(429);
        break;
      }
      allowed++;
      expect(res.headers.get("ratelimit-remaining")).toBe(String(100 - allowed));
    }
    expect(allowed).toBe(100);
    // Each object call served two requests (its own and its one-token lease), plus the refusal.
    expect(calls()).toBe(51);
  });

  it("charges a bulk request one token per user, per API key", async () => {
    const key = await freshKey();
    expect((await bulk(key, 4)).status).toBe(200);
    const refused = await bulk(key, 2);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // One token is left: a single-user request still fits.
    expect((await bulk(key, 1)).status).toBe(200);
    // Another key has its own bucket.
    expect((await bulk(await freshKey(), 5)).status).toBe(200);
  });

  it("lets requests through when the limiter fails or is slow", async () => {
    const token = await userToken(uniq("rl-degraded"));
    const failing = {
      ...limited,
      RATE_LIMITER: {
        idFromName: () => {
          throw new Error("limiter down");
        },
      } as unknown as typeof env.RATE_LIMITER,
    };
    for (let i = 0; i < 5; i++) expect((await call("/v1/popular", token, failing)).status).toBe(200);

    const slow = {
      ...limited,
      RATE_LIMITER: {
        idFromName: (name: string) => env.RATE_LIMITER.idFromName(name),
        get: () => ({ take: () => new Promise(() => undefined) }),
      } as unknown as typeof env.RATE_LIMITER,
    };
    const t0 = Date.now();
    const res = await call("/v1/popular", token, slow);
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit-limit")).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(LIMITER_TIMEOUT_MS - 10);
  });
});
