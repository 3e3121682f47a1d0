/**
 * Input drift on PostgreSQL with planted data: a champion trained on January's events
 * (a fixed mix of categories, prices and popular items), then a day drawn from the same
 * mix (no alert) and a day whose events moved to one expensive category (the price and
 * category alerts, in the API, the gauges and one webhook).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../models/prng.js";
import { interactions, items } from "../db/schema.js";
import { promote } from "../registry/model-registry.js";
import { bearer, json, startHarness, type Harness } from "../test-support/backend-harness.js";
import { publishedVersion } from "../test-support/training-stand-ins.js";
import { createWebhook, listDeliveries } from "../webhooks/webhook-store.js";
import { DEFAULT_THRESHOLDS } from "./data-quality.js";
import { createDataQualityMonitor } from "./data-quality-monitor.js";
import { driftReport, MIN_EVENTS_FOR_DRIFT } from "./drift.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
});
afterAll(() => h?.close());

const DAY = 86_400_000;
const CATEGORIES = ["books", "garden", "kitchen", "watches"];
/** 200 items: 50 per category; watches are the expensive ones. */
const CATALOG = Array.from({ length: 200 }, (_, i) => {
  const category = CATEGORIES[i % 4] as string;
  return { itemId: `drift-${i}`, title: `Item ${i}`, category, price: category === "watches" ? 200 + (i % 50) * 10 : 5 + (i % 50) };
});

let seq = 0;
/** Events over [start, start + span): item i drawn with weight 1/(i+1) (Zipf), types 70 % view, 20 % click, 10 % purchase. */
function plant(n: number, start: number, span: number, seed: number, pick?: (rng: () => number) => number) {
  const rng = mulberry32(seed);
  const weights = CATALOG.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const zipf = () => {
    let r = rng() * total;
    for (let i = 0; i < weights.length; i++) if ((r -= weights[i] as number) <= 0) return i;
    return weights.length - 1;
  };
  return Array.from({ length: n }, () => {
    const item = pick ? pick(rng) : zipf();
    const t = rng();
    return {
      eventId: `drift-e${seq++}`,
      userId: `drift-u${Math.floor(rng() * 300)}`,
      itemId: `drift-${item}`,
      type: t < 0.7 ? "view" : t < 0.9 ? "click" : "purchase",
      ts: new Date(start + Math.floor(rng() * span)),
    };
  });
}

async function insert(rows: ReturnType<typeof plant>): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) await h.database.db.insert(interactions).values(rows.slice(i, i + 1000));
}

// publishedVersion's data window: January 2026.
const JAN = Date.UTC(2026, 0, 1);
const CLEAN_DAY = Date.UTC(2026, 2, 1);
const SHIFTED_DAY = Date.UTC(2026, 2, 3);

describe("input drift", () => {
  it("compares nothing without a champion", async () => {
    const r = await driftReport(h.database.db, 24, new Date(CLEAN_DAY + DAY));
    expect(r).toMatchObject({ reference: null, features: [] });
  });

  it("finds no drift in a day drawn like the training window, and the shift of a day that moved to watches", async () => {
    await h.database.db.insert(items).values(CATALOG);
    await insert(plant(20_000, JAN, 31 * DAY, 1));
    await publishedVersion(h.database.db, "drift-champion");
    await promote(h.database.db, "drift-champion", "test");

    await insert(plant(2000, CLEAN_DAY, DAY, 2));
    const clean = await driftReport(h.database.db, 24, new Date(CLEAN_DAY + DAY));
    expect(clean.reference).toMatchObject({ version: "drift-champion", events: 20_000 });
    expect(clean.current.events).toBe(2000);
    expect(clean.features.map((f) => f.feature)).toEqual(["event_type", "item_popularity", "item_category", "item_price"]);
    // Sampling noise alone: PSI ≈ (bins − 1) / n, far below the 0.1 of a moderate shift.
    for (const f of clean.features) expect(f.psi, f.feature).toBeLessThan(0.05);
    // The reference's popularity deciles hold about a tenth of its events each, or none (one item spans two).
    const popularity = clean.features.find((f) => f.feature === "item_popularity")!;
    expect(popularity.bins.reduce((s, b) => s + b.reference, 0)).toBeCloseTo(1, 10);

    // The shift: 80 % of the day's events on watches, the rest as before; the event types do not change.
    await insert(plant(2000, SHIFTED_DAY, DAY, 3, (rng) => (rng() < 0.8 ? 3 + 4 * Math.floor(rng() * 50) : Math.floor(rng() * 200))));
    const shifted = await driftReport(h.database.db, 24, new Date(SHIFTED_DAY + DAY));
    const psiOf = (name: string) => shifted.features.find((f) => f.feature === name)!.psi;
    expect(psiOf("item_category")).toBeGreaterThan(0.25);
    expect(psiOf("item_price")).toBeGreaterThan(0.25);
    expect(psiOf("event_type")).toBeLessThan(0.05);
    const watches = shifted.features.find((f) => f.feature === "item_category")!.bins.find((b) => b.bin === "watches")!;
    expect(watches.current).toBeGreaterThan(0.8);
    expect(watches.reference).toBeLessThan(0.25);
  });

  it("alerts past the PSI threshold in the API, the gauges and once as a webhook", async () => {
    const hook = await createWebhook(h.database.db, { url: "http://127.0.0.1:2/never", events: ["data_quality.alert"], description: null, createdBy: "test" });
    let now = new Date(CLEAN_DAY + DAY);
    const monitor = createDataQualityMonitor({ db: h.database.db, thresholds: DEFAULT_THRESHOLDS, metrics: h.metrics, intervalMinutes: 0, now: () => now });
    expect((await monitor.tick()).drift.alerts).toEqual([]);

    now = new Date(SHIFTED_DAY + DAY);
    const shifted = await monitor.tick();
    expect(shifted.drift.alerts.map((a) => a.feature)).toEqual(
      ["item_popularity", "item_category", "item_price"].filter((f) => shifted.drift.features.find((x) => x.feature === f)!.psi > 0.25),
    );
    expect(shifted.drift.alerts.map((a) => a.feature)).toEqual(expect.arrayContaining(["item_category", "item_price"]));
    expect(shifted.drift.alerts[0]!.message).toMatch(
      /^PSI \d\.\d{3} of item_\w+ between the training window of drift-champion and the last 24 h \(threshold 0\.25\)$/,
    );
    await monitor.tick(); // still drifting: not announced again
    const deliveries = await listDeliveries(h.database.db, hook.id, 10);
    expect(deliveries.map((d) => (d.payload as { data: { feature: string } }).data.feature).sort()).toEqual(shifted.drift.alerts.map((a) => a.feature).sort());

    const metrics = await (await h.app.request("/metrics")).text();
    expect(metrics).toMatch(/recs_backend_data_quality_drift_psi\{feature="item_category"\} \d+\.\d+/);
    expect(metrics).toMatch(/recs_backend_data_quality_alert\{check="drift"\} 1/);

    const api = await json(
      await h.app.request(`/api/v1/data-quality/drift?hours=24&at=${new Date(SHIFTED_DAY + DAY).toISOString()}`, { headers: bearer(h.keys.admin) }),
    );
    expect(api.features.map((f: { psi: number }) => f.psi)).toEqual(shifted.drift.features.map((f) => f.psi));
    expect(api.alerts.map((a: { feature: string }) => a.feature)).toEqual(shifted.drift.alerts.map((a) => a.feature));
  });

  it("waits for enough current events", async () => {
    const r = await driftReport(h.database.db, 1, new Date(SHIFTED_DAY + DAY));
    expect(r.current.events).toBeLessThan(MIN_EVENTS_FOR_DRIFT);
    expect(r.features).toEqual([]);
  });
});
