import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const bucket = (name: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`${name}-${crypto.randomUUID()}`));
const MINUTE = 60_000;

describe("RateLimiter", () => {
  it("grants the limit as a burst, then refuses with the wait for the next token", async () => {
    const b = bucket("burst");
    for (const left of [2, 1, 0]) expect(await b.take(1, 3, MINUTE)).toMatchObject({ allowed: true, remaining: left, retryAfterMs: 0 });
    const refused = await b.take(1, 3, MINUTE);
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBe(0);
    // One token per 20 s at 3 a minute; a little of it has already refilled.
    expect(refused.retryAfterMs).toBeGreaterThan(19_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(20_000);
    expect(refused.emptyForMs).toBe(refused.retryAfterMs);
    expect(refused.resetMs).toBeGreaterThan(59_000);
  });

  it("leases extra tokens only from what the call leaves, and a refused call leases nothing", async () => {
    const b = bucket("lease");
    expect(await b.take(1, 5, MINUTE, 3)).toMatchObject({ allowed: true, leased: 3, remaining: 1 });
    // One token left: the call gets it, the lease gets nothing.
    expect(await b.take(1, 5, MINUTE, 3)).toMatchObject({ allowed: true, leased: 0, remaining: 0 });
    expect(await b.take(1, 5, MINUTE, 3)).toMatchObject({ allowed: false, leased: 0 });
  });

  it("charges a cost, and a refused request takes nothing", async () => {
    const b = bucket("cost");
    expect(await b.take(4, 5, MINUTE)).toMatchObject({ allowed: true, remaining: 1 });
    const refused = await b.take(2, 5, MINUTE);
    expect(refused).toMatchObject({ allowed: false, remaining: 1, emptyForMs: 0 });
    expect(await b.take(1, 5, MINUTE)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("caps a cost above the limit at a full bucket, so it is not refused forever", async () => {
    const b = bucket("cap");
    expect(await b.take(1000, 10, MINUTE)).toMatchObject({ allowed: true, remaining: 0 });
    const refused = await b.take(1000, 10, MINUTE);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(MINUTE);
  });

  it("refills over the window and follows a lowered limit at once", async () => {
    const b = bucket("refill");
    expect(await b.take(2, 2, 200)).toMatchObject({ allowed: true, remaining: 0 });
    await new Promise((r) => setTimeout(r, 250));
    expect(await b.take(2, 2, 200)).toMatchObject({ allowed: true });
    const big = bucket("lowered");
    expect(await big.take(1, 100, MINUTE)).toMatchObject({ remaining: 99 });
    expect(await big.take(1, 2, MINUTE)).toMatchObject({ allowed: true, remaining: 1 });
  });
});
