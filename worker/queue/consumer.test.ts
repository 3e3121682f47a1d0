import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../../models/events.js";
import { keys } from "../../models/feature-keys.js";
import type { Env } from "../env.js";
import { redisClient } from "../features/redis-client.js";
import { uniq } from "../test-support/fixtures.js";
import { DEAD_LETTER_QUEUE_NAME, EVENTS_QUEUE_NAME, handleQueue, retryDelaySeconds } from "./consumer.js";

const backendDown: Env = { ...env, BACKEND_URL: "http://127.0.0.1:9" };

function event(user: string, item: string, ts: number): StoredEvent {
  return { event_id: uniq("e"), user_id: user, session_id: null, item_id: item, type: "view", value: null, ts, context: null };
}

async function run(queue: string, bodies: unknown[], bindings: Env) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await handleQueue(batch, bindings);
  return await getQueueResult(batch, ctx);
}

describe("queue consumer", () => {
  it("retries the whole batch with back-off while the backend is down, and counts features once", async () => {
    const user = uniq("u");
    const [a, b] = [uniq("a"), uniq("b")];
    const now = Date.now();
    const bodies = [[event(user, a, now - 2000)], [event(user, b, now - 1000)]].map((events) => ({ kind: "events", events }));
    const first = await run(EVENTS_QUEUE_NAME, bodies, backendDown);
    expect(first.retryMessages.map((m: { msgId: string }) => m.msgId).sort()).toEqual(["m0", "m1"]);
    expect(first.explicitAcks).toEqual([]);
    // Redelivery of the same events must not count the co-view pair again.
    await run(EVENTS_QUEUE_NAME, bodies, backendDown);
    const score = await redisClient(env, 2000).zscore(keys.coView(a), b);
    expect(Number(score)).toBe(1);
  });

  it("backs off exponentially up to five minutes", () => {
    expect([1, 2, 3, 4].map((a) => retryDelaySeconds(a, 2))).toEqual([2, 4, 8, 16]);
    expect(retryDelaySeconds(12, 2)).toBe(300);
  });

  it("keeps a message it cannot read in R2 instead of dropping it", async () => {
    const result = await run(EVENTS_QUEUE_NAME, [{ kind: "mystery" }], backendDown);
    expect(result.explicitAcks).toEqual(["m0"]);
    const listed = await env.ARTIFACTS.list({ prefix: "dead-letters/" });
    const stored = await Promise.all(listed.objects.map(async (o) => (await env.ARTIFACTS.get(o.key))!.json<{ body: unknown }>()));
    expect(stored.some((s) => JSON.stringify(s.body) === JSON.stringify({ kind: "mystery" }))).toBe(true);
  });

  it("stores dead-lettered batches in R2", async () => {
    const body = { kind: "events", events: [event(uniq("u"), "x", Date.now())] };
    const result = await run(DEAD_LETTER_QUEUE_NAME, [body], env);
    expect(result.explicitAcks).toEqual(["m0"]);
    const listed = await env.ARTIFACTS.list({ prefix: "dead-letters/" });
    expect(listed.objects.length).toBeGreaterThan(0);
  });
});
