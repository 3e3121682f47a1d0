/**
 * Data-quality checks on PostgreSQL with planted data: clean events raise nothing; a
 * fault (30 % of the hour's events for items the catalog does not hold) raises the
 * unknown-items alert in the API, in /metrics and as one data_quality.alert webhook.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredEvent } from "../../models/events.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";
import { createWebhook, listDeliveries } from "../webhooks/webhook-store.js";
import { alertsFor, DEFAULT_THRESHOLDS, type WindowStats } from "./data-quality.js";
import { createDataQualityMonitor } from "./data-quality-monitor.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
});
afterAll(() => h?.close());

const NOW = Date.now();
let n = 0;
function event(user: string, item: string, ageMs: number): StoredEvent {
  return {
    event_id: `dq-${n++}`,
    user_id: user,
    item_id: item,
    type: n % 5 === 0 ? "purchase" : "view",
    value: null,
    ts: NOW - ageMs,
    context: null,
    session_id: null,
  };
}

async function ingest(events: StoredEvent[]): Promise<void> {
  const res = await h.app.request("/internal/v1/ingest", jsonRequest("POST", { events }, bearer(BACKEND_TOKEN)));
  expect(res.status).toBe(200);
}

const report = async () => json(await h.app.request("/api/v1/data-quality", { headers: bearer(h.keys.admin) }));

describe("data quality", () => {
  it("raises nothing on clean events, then the unknown-items alert for a planted fault, once per onset", async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ item_id: `dq-item-${i}`, title: `Item ${i}` }));
    expect((await h.app.request("/api/v1/catalog/items", jsonRequest("POST", { items }, bearer(h.keys.admin)))).status).toBe(200);
    // Twenty users seen hours ago, then 140 events of theirs on catalog items in the last hour.
    await ingest(Array.from({ length: 20 }, (_, u) => event(`dq-user-${u}`, `dq-item-${u}`, 5 * 3_600_000)));
    await ingest(Array.from({ length: 140 }, (_, i) => event(`dq-user-${i % 20}`, `dq-item-${i % 50}`, 60_000 + i * 1000)));

    const clean = await report();
    expect(clean).toMatchObject({ events: 140, unknown_item_share: 0, new_user_share: 0, alerts: [] });
    expect(clean.by_type.view + clean.by_type.purchase).toBe(140);

    const hook = await createWebhook(h.database.db, { url: "http://127.0.0.1:2/never", events: ["data_quality.alert"], description: null, createdBy: "test" });
    const monitor = createDataQualityMonitor({ db: h.database.db, thresholds: DEFAULT_THRESHOLDS, metrics: h.metrics, intervalMinutes: 0 });
    expect((await monitor.tick()).alerts).toEqual([]);

    // The fault: 60 more events in the hour, all for items the catalog does not hold.
    await ingest(Array.from({ length: 60 }, (_, i) => event(`dq-user-${i % 20}`, `ghost-item-${i}`, 30_000 + i * 100)));
    const faulty = await report();
    expect(faulty.events).toBe(200);
    expect(faulty.unknown_item_share).toBeCloseTo(0.3, 10);
    expect(faulty.alerts).toEqual([
      { check: "unknown_items", value: 0.3, threshold: 0.1, message: "30.0% of events name items the catalog does not hold (threshold 10.0%)" },
    ]);

    await monitor.tick();
    await monitor.tick(); // still alerting: not announced again
    const sent = await listDeliveries(h.database.db, hook.id, 10);
    expect(sent).toHaveLength(1);
    expect((sent[0]!.payload as { type: string; data: Record<string, unknown> }).data).toMatchObject({ check: "unknown_items", value: 0.3, events: 200 });
    const metrics = await (await h.app.request("/metrics")).text();
    expect(metrics).toMatch(/^recs_backend_data_quality_alert\{check="unknown_items"\} 1$/m);
    expect(metrics).toMatch(/^recs_backend_data_quality_alert\{check="new_users"\} 0$/m);
    expect(metrics).toMatch(/^recs_backend_data_quality_share\{measure="unknown_items"\} 0\.3$/m);
  });

  it("refuses a window out of range", async () => {
    const res = await h.app.request("/api/v1/data-quality?hours=0", { headers: bearer(h.keys.admin) });
    expect(res.status).toBe(400);
    expect((await json(res)).error.field).toBe("hours");
  });
});

describe("refused events", () => {
  it("counts the edge's tallies once each, as a share of everything received, with the fields they named", async () => {
    const before = await report();
    const tally = { tally_id: "intake-req-1", ts: NOW - 120_000, count: 30, fields: { ts: 20, item_id: 10 } };
    for (let i = 0; i < 2; i++) {
      // A redelivered tally (same id) is stored once.
      const res = await h.app.request("/internal/v1/ingest", jsonRequest("POST", { rejected: [tally] }, bearer(BACKEND_TOKEN)));
      expect(res.status).toBe(200);
    }
    const r = await report();
    expect(r.invalid_by_field).toEqual({ ts: 20, item_id: 10 });
    expect(r.invalid_event_share).toBeCloseTo(30 / (before.events + 30), 12);
    const alert = r.alerts.find((a: { check: string }) => a.check === "invalid_events");
    expect(alert.message).toMatch(/of received events were refused as invalid \(threshold 5\.0%\): mostly ts \(20\), item_id \(10\)$/);
    const bad = await h.app.request("/internal/v1/ingest", jsonRequest("POST", { rejected: [{ ...tally, count: 0 }] }, bearer(BACKEND_TOKEN)));
    expect(bad.status).toBe(400);
  });
});

describe("the thresholds", () => {
  const stats = (events: number, unknown: number, fresh: number, invalid = 0): WindowStats => ({
    from: new Date(0),
    to: new Date(1),
    byType: {},
    events,
    unknownItemEvents: unknown,
    newUserEvents: fresh,
    invalidEvents: invalid,
    invalidByField: invalid > 0 ? { ts: invalid - 1, item_id: 1 } : {},
  });

  it("alert past each threshold, not at it, and judge shares only on enough events", () => {
    const t = { ...DEFAULT_THRESHOLDS, maxUnknownItemShare: 0.1, maxNewUserShare: 0.5, minEvents: 50 };
    expect(alertsFor(stats(100, 10, 50), t)).toEqual([]);
    expect(alertsFor(stats(100, 11, 51), t).map((a) => a.check)).toEqual(["unknown_items", "new_users"]);
    expect(alertsFor(stats(10, 10, 10), t)).toEqual([{ check: "low_volume", value: 10, threshold: 50, message: "10 events in the window, fewer than 50" }]);
    expect(alertsFor(stats(100, 0, 100), { ...t, maxNewUserShare: 1 })).toEqual([]);
    // Invalid share of everything received: 5 refused of 100 (95 stored + 5) is at the 5 % threshold, 6 of 101 past it.
    expect(alertsFor(stats(95, 0, 0, 5), t)).toEqual([]);
    expect(alertsFor(stats(95, 0, 0, 6), t)).toEqual([
      {
        check: "invalid_events",
        value: 6 / 101,
        threshold: 0.05,
        message: "5.9% of received events were refused as invalid (threshold 5.0%): mostly ts (5), item_id (1)",
      },
    ]);
    // Every event refused: nothing stored, and still the alert.
    expect(alertsFor(stats(0, 0, 0, 25), t).map((a) => [a.check, a.value])).toEqual([
      ["low_volume", 0],
      ["invalid_events", 1],
    ]);
    expect(alertsFor(stats(0, 0, 0, 19), { ...t, minEvents: 0 })).toEqual([]);
  });
});
