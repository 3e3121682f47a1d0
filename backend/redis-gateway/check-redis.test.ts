/**
 * Tests for the start-up Redis probe: a quick yes against the real Redis at REDIS_URL
 * (default redis://127.0.0.1:6379), and a quick, one-line, actionable no otherwise.
 */
import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { checkRedis } from "./check-redis.js";
import { freePort } from "../test-support/free-port.js";

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await work();
  return { result, ms: performance.now() - start };
}

describe("checkRedis", () => {
  it("says yes when Redis answers", async () => {
    expect(await checkRedis(REDIS_URL)).toEqual({ ok: true });
  });

  it("says no quickly, in one line naming the URL and the fix, when nothing listens", async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const { result, ms } = await timed(() => checkRedis(url));
    expect(ms).toBeLessThan(2_000);
    if (result.ok) throw new Error("expected a failure");
    expect(result.message).toContain(`No Redis answers at ${url} (connect ECONNREFUSED`);
    expect(result.message).toContain(`redis-server --daemonize yes --bind 127.0.0.1 --port ${port} --save "" --appendonly no`);
    expect(result.message).toContain("(or set REDIS_URL)");
    expect(result.message).not.toContain("\n");
  });

  it("gives up within its deadline on a host that never answers", async () => {
    // A listener that accepts but never speaks: the PING must time out, not hang.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const { result, ms } = await timed(() => checkRedis(`redis://127.0.0.1:${port}`));
      expect(result.ok).toBe(false);
      expect(ms).toBeLessThan(2_500);
    } finally {
      silent.close();
    }
  });

  it("does not tell a remote host to start a local server, and hides the password", async () => {
    const { result } = await timed(() => checkRedis("redis://:hunter2@nonexistent.invalid:6390"));
    if (result.ok) throw new Error("expected a failure");
    expect(result.message).toMatch(/^No Redis answers at redis:\/\/:\*\*\*@nonexistent\.invalid:6390 .*Check that the host is reachable/);
    expect(result.message).not.toContain("hunter2");
  });

  it("tells a running Redis that refuses the credentials apart from a missing one", async () => {
    const url = new URL(REDIS_URL);
    url.username = `no-such-user-${process.pid}`;
    url.password = "wrong";
    const result = await checkRedis(url.toString());
    if (result.ok) throw new Error("expected a failure");
    expect(result.message).toMatch(/refused the connection \(WRONGPASS .*Check the user, password and database in REDIS_URL/);
    expect(result.message).not.toContain(":wrong@");
  });

  it("refuses a URL that is not redis://", async () => {
    const result = await checkRedis("http://127.0.0.1:6379");
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/must start with redis:\/\/ or rediss:\/\/.*REDIS_URL/) });
  });
});
