/**
 * Shadow scoring in workerd: with a shadow version configured through the admin API,
 * a sampled request's answer is unchanged and the shadow version's own list for the
 * same request goes on the queue as a shadow list; unsampled, QA-forced and
 * same-version requests cost nothing.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
// First: the app registers zod's OpenAPI extension before any shared schema is built.
import { api, seedKeys, uniq } from "../test-support/fixtures.js";
import { toEdgeItemRecord } from "../../models/catalog.js";
import { keys } from "../../models/feature-keys.js";
import { ACTIVE_POINTER_KEY } from "../../models/model-manifest.js";
import { inShadowSample } from "../../models/shadow.js";
import { redisClient } from "../features/redis-client.js";
import { resetActiveModelForTests } from "../models/active-model.js";
import { HEURISTIC_MODEL_VERSION, type RecsRequest, type RecsResult } from "../recommend/recommend-for-user.js";
import { adminApi, buildTestVersion, publishVersion, V1_FACTORS } from "../test-support/model-artifacts.js";
import type { QueueMessage } from "../queue/messages.js";
import { forgetShadowConfig } from "./shadow-config.js";
import { scheduleShadow } from "./shadow-scoring.js";

let version: string;

beforeAll(async () => {
  await seedKeys();
  await env.CONFIG.delete(ACTIVE_POINTER_KEY);
  await resetActiveModelForTests();
  const redis = redisClient(env, 5_000);
  for (const id of ["a", "b", "c"]) await redis.set(keys.item(id), JSON.stringify(toEdgeItemRecord({ item_id: id, title: `Item ${id}` })));
  version = uniq("shadow");
  await publishVersion(await buildTestVersion(version, V1_FACTORS));
});

async function configure(json: unknown): Promise<Response> {
  const res = await adminApi("/v1/admin/models/shadow", { method: "PUT", json });
  forgetShadowConfig();
  return res;
}

/** Runs scheduleShadow with a queue that records what is sent. */
async function shadowFor(user: string, opts: { requestId?: string; forced?: boolean; servedVersion?: string } = {}) {
  const sent: QueueMessage[] = [];
  const queue = { sendBatch: async (batch: Array<{ body: QueueMessage }>) => void sent.push(...batch.map((b) => b.body)) };
  const pending: Array<Promise<unknown>> = [];
  const request: RecsRequest = { userId: user, limit: 5, context: null, itemId: null, category: null, exclude: [] };
  const served: RecsResult = {
    model_version: opts.servedVersion ?? HEURISTIC_MODEL_VERSION,
    items: [],
    degraded: [],
    experiment: null,
    personalised: true,
    ranked: false,
  };
  await scheduleShadow({
    env: { ...env, EVENTS_QUEUE: queue as unknown as Queue<unknown> },
    requestId: opts.requestId ?? uniq("req"),
    request,
    served,
    forced: opts.forced ?? false,
    background: (p) => void pending.push(p),
  });
  await Promise.allSettled(pending);
  return sent;
}

describe("shadow scoring", () => {
  it("refuses a version the edge does not hold and an out-of-range sample", async () => {
    expect((await configure({ version: uniq("missing"), sample_percent: 10 })).status).toBe(404);
    const bad = await configure({ version, sample_percent: 0 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { field: "sample_percent" } });
    expect((await adminApi("/v1/admin/models/shadow", { method: "PUT", json: { version, sample_percent: 10 }, token: null })).status).toBe(401);
  });

  it("logs the shadow version's list for a sampled request, and nothing for forced or same-version ones", async () => {
    expect((await configure({ version, sample_percent: 100 })).status).toBe(200);
    const user = uniq("u");
    const view = await api("/v1/events", { method: "POST", json: { events: [{ user_id: user, item_id: "b", type: "view" }] } });
    expect(view.status).toBe(202);

    const sent = await shadowFor(user, { requestId: "req-shadow-1" });
    expect(sent).toHaveLength(1);
    const message = sent[0]!;
    expect(message.kind).toBe("shadow");
    if (message.kind !== "shadow") return;
    const [list] = message.shadow;
    expect(list).toMatchObject({ request_id: "req-shadow-1", user_id: user, model_version: version });
    // V1 scores a above c for a history of b (b itself is excluded as already seen).
    expect(list!.items[0]).toBe("a");
    expect(list!.latency_ms).toBeGreaterThanOrEqual(0);

    expect(await shadowFor(user, { forced: true })).toEqual([]);
    expect(await shadowFor(user, { servedVersion: version })).toEqual([]);
  });

  it("samples by request id", async () => {
    expect((await configure({ version, sample_percent: 5 })).status).toBe(200);
    const ids = Array.from({ length: 400 }, (_, i) => `req-sample-${i}`);
    const outside = ids.find((id) => !inShadowSample(id, 5))!;
    const inside = ids.find((id) => inShadowSample(id, 5))!;
    const share = ids.filter((id) => inShadowSample(id, 5)).length / ids.length;
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.1);
    expect(await shadowFor(uniq("u"), { requestId: outside })).toEqual([]);
    expect(await shadowFor(uniq("u"), { requestId: inside })).toHaveLength(1);
  });

  it("leaves the served answer alone, and stops when deleted", async () => {
    expect((await configure({ version, sample_percent: 100 })).status).toBe(200);
    const res = await api(`/v1/recommendations/${uniq("u")}?limit=3`);
    expect(res.status).toBe(200);
    expect((await res.json<{ model_version: string }>()).model_version).toBe(HEURISTIC_MODEL_VERSION);

    const stop = await adminApi("/v1/admin/models/shadow", { method: "DELETE" });
    expect(stop.status).toBe(200);
    forgetShadowConfig();
    expect(await (await adminApi("/v1/admin/models/shadow")).json()).toEqual({ shadow: null });
    expect(await shadowFor(uniq("u"))).toEqual([]);
  });
});
