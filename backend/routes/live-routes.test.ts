/** The live panel's figures after served lists and events arrive through the real ingest endpoint. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServedList, StoredEvent } from "../../models/events.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
});
afterAll(() => h?.close());

const live = (query = "") => h.request(`/api/v1/ops/live${query}`, { headers: bearer(h.keys.admin) });

describe("GET /api/v1/ops/live", () => {
  it("counts what was ingested in the window, with latency percentiles and the degraded share", async () => {
    const now = Date.now();
    const served: ServedList[] = Array.from({ length: 40 }, (_, i) => ({
      request_id: `${h.prefix}-r${i}`,
      user_id: `${h.prefix}-u${i}`,
      model_version: "v1",
      context: "home",
      items: ["a", "b"],
      degraded: i < 10 ? ["features"] : [],
      ts: now,
      latency_ms: i < 20 ? 4 : 12,
    }));
    const events: StoredEvent[] = Array.from({ length: 25 }, (_, i) => ({
      event_id: `${h.prefix}-e${i}`,
      user_id: `${h.prefix}-u${i}`,
      session_id: null,
      item_id: "a",
      type: "view",
      value: null,
      ts: now,
      context: null,
    }));
    const ingest = await h.request("/internal/v1/ingest", jsonRequest("POST", { served, events }, bearer(BACKEND_TOKEN)));
    expect(ingest.status).toBe(200);
    // The current second is left out of the window: wait for it to end.
    await new Promise((r) => setTimeout(r, 1100 - (Date.now() % 1000)));

    const body = await json(await live("?seconds=10"));
    expect(body).toMatchObject({
      window_seconds: 10,
      ingested_events: 25,
      served_lists: 40,
      degraded_lists: 10,
      degraded_share: 0.25,
      degraded_by_stage: { features: 10 },
    });
    expect(body.served_per_second).toBeCloseTo(4, 10);
    expect(body.per_second).toHaveLength(10);
    expect(body.per_second.reduce((n: number, p: { served: number }) => n + p.served, 0)).toBe(40);
    expect(body.latency_ms.measured).toBe(40);
    // Half at 4 ms, half at 12 ms: the median is 4 ms (within its 5 % bucket), p95 12 ms.
    expect(body.latency_ms.p50).toBeGreaterThanOrEqual(4);
    expect(body.latency_ms.p50).toBeLessThanOrEqual(4.2);
    expect(body.latency_ms.p95).toBeGreaterThanOrEqual(12);
    expect(body.latency_ms.p95).toBeLessThanOrEqual(12.6);
  });

  it("refuses a window out of range, naming the parameter, and non-admin keys", async () => {
    const bad = await live("?seconds=301");
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe("seconds");
    expect((await h.request("/api/v1/ops/live", { headers: bearer(h.keys.reader) })).status).toBe(403);
  });
});
