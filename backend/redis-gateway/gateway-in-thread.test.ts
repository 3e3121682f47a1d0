/** The gateway on its own worker thread, as the local stack runs it, against the real Redis. */
import { randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis";
import { describe, expect, it } from "vitest";
import { startRedisGatewayInThread } from "./gateway-in-thread.js";
import { freePort } from "../test-support/free-port.js";

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const KEY = `test:gateway-thread:${randomUUID()}`;

describe("the gateway on a worker thread", () => {
  it("answers the Upstash client, frees its port on close, and reports a port clash with its code", async () => {
    const port = await freePort();
    const gateway = await startRedisGatewayInThread({ redisUrl: REDIS_URL, token: "t", port });
    const client = new Redis({ url: gateway.url, token: "t" });
    const p = client.pipeline();
    p.set(KEY, "from the thread");
    p.get(KEY);
    expect(await p.exec()).toEqual(["OK", "from the thread"]);
    await expect(startRedisGatewayInThread({ redisUrl: REDIS_URL, port })).rejects.toMatchObject({ code: "EADDRINUSE" });
    await gateway.close();
    const again = await startRedisGatewayInThread({ redisUrl: REDIS_URL, token: "t", port });
    const second = new Redis({ url: again.url, token: "t" });
    expect(await second.get(KEY)).toBe("from the thread");
    await second.del(KEY);
    await again.close();
    await expect(new Redis({ url: again.url, token: "t", retry: false }).get(KEY)).rejects.toThrow();
  });
});
