/**
 * Attribution and readouts on planted data, stored through the real ingest endpoint
 * (served lists carrying their experiment and variant, feedback, events) in PostgreSQL.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServedList, StoredEvent, StoredFeedback } from "../../models/events.js";
import { mulberry32 } from "../../models/prng.js";
import { experiments, servedLists } from "../db/schema.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";
import { recordingExperimentPublisher } from "../test-support/experiment-stand-ins.js";
import { attributedCounts, type VariantCounts } from "./attribution.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ redis: "unreachable", deps: { experiments: { publisher: recordingExperimentPublisher(), attributionWindowHours: 24 } } });
});
afterAll(() => h?.close());

const BASE = "/api/v1/recs/experiments";
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 5, 1, 12);

interface Batch {
  served?: ServedList[];
  feedback?: StoredFeedback[];
  events?: StoredEvent[];
}

async function ingest(batch: Batch): Promise<void> {
  const response = await h.request("/internal/v1/ingest", jsonRequest("POST", batch, bearer(BACKEND_TOKEN)));
  expect(response.status).toBe(200);
}

/** Ingest in chunks the endpoint accepts (1,000 rows of each kind). */
async function ingestAll(batch: Required<Batch>): Promise<void> {
  for (let i = 0; i < Math.max(batch.served.length, batch.feedback.length, batch.events.length); i += 1000) {
    await ingest({ served: batch.served.slice(i, i + 1000), feedback: batch.feedback.slice(i, i + 1000), events: batch.events.slice(i, i + 1000) });
  }
}

async function createExperiment(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await h.request(
    BASE,
    jsonRequest(
      "POST",
      {
        name,
        traffic_share: 0.1,
        variants: [
          { key: "A", weight: 50 },
          { key: "B", weight: 50 },
        ],
        primary_metric: "ctr",
        control: "A",
        ...extra,
      },
      bearer(h.keys.admin),
    ),
  );
  expect(response.status).toBe(201);
  return (await json(response)).id;
}

const results = async (id: string) => json(await h.request(`${BASE}/${id}/results`, { headers: bearer(h.keys.admin) }));

function served(requestId: string, userId: string, items: string[], ts: number, experiment: ServedList["experiment"]): ServedList {
  return { request_id: requestId, user_id: userId, model_version: "v1", context: "home", items, degraded: [], ts, experiment };
}

function fb(id: string, requestId: string, userId: string, itemId: string, type: StoredFeedback["type"], ts: number): StoredFeedback {
  return { feedback_id: id, request_id: requestId, user_id: userId, item_id: itemId, type, ts };
}

function ev(id: string, userId: string, itemId: string, type: StoredEvent["type"], ts: number, context: StoredEvent["context"] = null): StoredEvent {
  return { event_id: id, user_id: userId, session_id: null, item_id: itemId, type, value: null, ts, context };
}

/**
 * Users split 50/50 by a seeded PRNG; each sees two lists of five items and clicks each
 * item with their variant's probability (one click in five converts). Returns what was
 * planted, per variant, to compare with the readout.
 */
async function plant(experimentId: string, users: number, ctr: { A: number; B: number }, seed: number) {
  const rng = mulberry32(seed);
  const batch = { served: [] as ServedList[], feedback: [] as StoredFeedback[], events: [] as StoredEvent[] };
  const planted = { A: { users: 0, impressions: 0, clicks: 0, conversions: 0 }, B: { users: 0, impressions: 0, clicks: 0, conversions: 0 } };
  for (let u = 0; u < users; u++) {
    const variant = rng() < 0.5 ? "A" : "B";
    const user = `${experimentId}-u${u}`;
    planted[variant].users += 1;
    for (let l = 0; l < 2; l++) {
      const request = `${experimentId}-r${u}-${l}`;
      const ts = T0 + u * 1000 + l * HOUR;
      const items = Array.from({ length: 5 }, (_, k) => `item-${(u * 7 + l * 5 + k) % 200}`);
      batch.served.push(served(request, user, items, ts, { id: experimentId, variant }));
      planted[variant].impressions += items.length;
      for (const item of items) {
        if (rng() >= ctr[variant]) continue;
        planted[variant].clicks += 1;
        batch.feedback.push(fb(`${request}-${item}-c`, request, user, item, "click", ts + 60_000));
        if (rng() < 0.2) {
          planted[variant].conversions += 1;
          batch.feedback.push(fb(`${request}-${item}-p`, request, user, item, "conversion", ts + 120_000));
        }
      }
    }
  }
  await ingestAll(batch);
  return planted;
}

describe("experiment results on planted data", () => {
  it("measures the guardrails per variant from the served lists and names each breach", async () => {
    const id = await createExperiment("Guarded", {
      guardrails: [
        { metric: "latency_p95_ms", threshold: 100 },
        { metric: "error_rate", threshold: 0.05 },
      ],
    });
    const lists: ServedList[] = [];
    for (let i = 0; i < 200; i++) {
      // A: 190 lists at 50 ms and 10 at 500 ms, 4 degraded; B: all at 150 ms, 20 degraded.
      const a = served(`${id}-a${i}`, `${id}-ua${i}`, ["x"], T0 + i, { id, variant: "A" });
      lists.push({ ...a, latency_ms: i < 190 ? 50 : 500, degraded: i < 4 ? ["ranker"] : [] });
      const b = served(`${id}-b${i}`, `${id}-ub${i}`, ["x"], T0 + i, { id, variant: "B" });
      lists.push({ ...b, latency_ms: 150, degraded: i < 20 ? ["model"] : [] });
    }
    // A list from an edge that did not report latency counts for the error rate only.
    lists.push(served(`${id}-old`, `${id}-uold`, ["x"], T0, { id, variant: "A" }));
    await ingestAll({ served: lists, feedback: [], events: [] });

    const r = await results(id);
    // numpy.percentile([50]*190 + [500]*10, 95) = 72.5
    expect(r.guardrails.variants).toEqual([
      { variant: "A", lists: 201, latency_measured: 200, latency_p95_ms: 72.5, error_rate: 0.0199 },
      { variant: "B", lists: 200, latency_measured: 200, latency_p95_ms: 150, error_rate: 0.1 },
    ]);
    expect(r.guardrails.checks.map((c: { variant: string; metric: string; status: string }) => `${c.metric}:${c.variant}:${c.status}`)).toEqual([
      "latency_p95_ms:A:holds",
      "latency_p95_ms:B:breached",
      "error_rate:A:holds",
      "error_rate:B:breached",
    ]);
    expect(r.guardrails.breached).toBe(true);
    expect(r.guardrails_note).toBe("guardrail breached: B latency p95 150 ms > 100 ms; B error rate 10.00% > 5.00%");
  });

  it("finds B's 20% higher click probability and says B beats A", async () => {
    const id = await createExperiment("Planted lift");
    const planted = await plant(id, 4000, { A: 0.1, B: 0.12 }, 20260601);
    const r = await results(id);

    expect(r).toMatchObject({ experiment_id: id, status: "draft", primary_metric: "ctr", control: "A", attribution_window_hours: 24, unknown_variants: [] });
    expect(r.guardrails).toMatchObject({ checks: [], breached: false });
    expect(r.guardrails_note).toBe("no guardrails configured");
    for (const [i, key] of (["A", "B"] as const).entries()) {
      // Every planted click and conversion is attributed once; impressions are the served items.
      expect(r.variants[i]).toMatchObject({ variant: key, weight: 50, lists: planted[key].users * 2, add_to_carts: 0, ...planted[key] });
    }
    expect(r.srm.mismatch).toBe(false);
    // Clicks were planted independently per impression: little user-level clustering to correct for.
    for (const variant of r.variants) expect(variant.design_effect.ctr).toBeLessThan(1.3);
    const [comparison] = r.comparisons;
    expect(comparison).toMatchObject({ control: "A", treatment: "B", metric: "ctr", status: "winner", winner: "B", reason: null });
    expect(comparison.metrics.ctr.lift.lift).toBeGreaterThan(0.1);
    expect(comparison.metrics.ctr.lift.lower).toBeGreaterThan(0);
    expect(comparison.metrics.ctr.sequential_p).toBeLessThan(0.05);
    expect(r.verdict).toMatch(/^B beats A on CTR by \+\d+\.\d% \(95% CI \+\d+\.\d% to \+\d+\.\d%\), sequential p [<=] /);
    expect(r.variants[1].ctr.rate).toBeCloseTo(planted.B.clicks / planted.B.impressions, 12);

    // The sequential p-values are stored for the next look; the same data again cannot raise them.
    const [row] = await h.database.db.select().from(experiments).where(eq(experiments.id, id));
    expect(row!.sequentialState).toEqual({ B: { ctr: comparison.metrics.ctr.sequential_p, conversion_rate: comparison.metrics.conversion_rate.sequential_p } });
    const again = await results(id);
    expect(again.comparisons[0].metrics.ctr.sequential_p).toBe(comparison.metrics.ctr.sequential_p);
  }, 30_000);

  it("names no winner when there is no difference", async () => {
    const id = await createExperiment("Planted A/A");
    await plant(id, 4000, { A: 0.1, B: 0.1 }, 7);
    const r = await results(id);
    expect(r.srm.mismatch).toBe(false);
    expect(r.comparisons[0]).toMatchObject({ status: "not_enough_data", winner: null, reason: "not_significant" });
    expect(r.verdict).toMatch(/^not enough data yet: B vs A on CTR /);
  }, 30_000);

  it("waits for the minimum sample before reading anything", async () => {
    const id = await createExperiment("Thin");
    await plant(id, 10, { A: 0.5, B: 0.1 }, 3);
    const r = await results(id);
    expect(r.comparisons[0]).toMatchObject({ status: "not_enough_data", reason: "min_sample" });
    expect(r.verdict).toMatch(/^not enough data yet: 100 impressions per variant needed \(A has \d+, B has \d+\)$/);
  });

  it("reads an experiment with no data yet", async () => {
    const id = await createExperiment("Empty");
    const r = await results(id);
    expect(r.variants.map((v: { impressions: number; users: number }) => [v.impressions, v.users])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(r.variants[0].ctr).toEqual({ rate: 0, lower: 0, upper: 1 });
    expect(r.verdict).toBe("not enough data yet: 100 impressions per variant needed (A has 0, B has 0)");
  });
});

describe("attribution", () => {
  const exp = "attr-exp";
  const u1 = "attr-u1";
  const u2 = "attr-u2";
  const byVariant = (counts: VariantCounts[]) => Object.fromEntries(counts.map((c) => [c.variant, c]));

  beforeAll(async () => {
    await ingest({
      served: [
        // u1 (A): r1 at T0 with three items, r4 at T0 with one.
        served("attr-r1", u1, ["i1", "i2", "i3"], T0, { id: exp, variant: "A" }),
        served("attr-r4", u1, ["i5"], T0, { id: exp, variant: "A" }),
        // u2 (B): r2 at T0; r3, an hour later and in no experiment, also shows i1.
        served("attr-r2", u2, ["i1", "i2", "i4"], T0, { id: exp, variant: "B" }),
        served("attr-r3", u2, ["i1"], T0 + HOUR, null),
      ],
      feedback: [
        // The same click delivered twice under two feedback ids, and repeated as an event below: one click.
        fb("attr-f1", "attr-r1", u1, "i1", "click", T0 + 60_000),
        fb("attr-f2", "attr-r1", u1, "i1", "click", T0 + 61_000),
        // A conversion reported both as feedback and as a purchase event: one conversion.
        fb("attr-f3", "attr-r1", u1, "i2", "conversion", T0 + 3 * HOUR),
        // Not in the list it names: ignored. Dismissals are no outcome.
        fb("attr-f4", "attr-r1", u1, "i9", "click", T0 + 60_000),
        fb("attr-f5", "attr-r1", u1, "i3", "dismiss", T0 + 60_000),
        // r2 reports impressions: only i1 was seen (i2's click implies it was seen too).
        fb("attr-f6", "attr-r2", u2, "i1", "impression", T0 + 1000),
      ],
      events: [
        ev("attr-e1", u1, "i1", "click", T0 + HOUR),
        ev("attr-e2", u1, "i2", "click", T0 + 2 * HOUR),
        ev("attr-e3", u1, "i2", "purchase", T0 + 3 * HOUR),
        ev("attr-e4", u1, "i2", "add_to_cart", T0 + 2 * HOUR + 1),
        // 25 hours after r4 was served: outside the default 24 h window.
        ev("attr-e5", u1, "i5", "click", T0 + 25 * HOUR),
        // Views are not outcomes.
        ev("attr-e6", u1, "i3", "view", T0 + HOUR),
        // u2's click on i1 belongs to r3, the latest list showing it — which is in no experiment.
        ev("attr-e7", u2, "i1", "click", T0 + 2 * HOUR),
        ev("attr-e8", u2, "i2", "click", T0 + 2 * HOUR),
        // Naming its request in the context: credited to it whatever the window.
        ev("attr-e9", u2, "i4", "purchase", T0 + 100 * HOUR, { request_id: "attr-r2" }),
        // Another user's click on an item u1 was shown: not u1's.
        ev("attr-e10", "attr-u3", "i3", "click", T0 + HOUR),
      ],
    });
  });

  it("stores the served list's experiment and variant (null outside experiments)", async () => {
    const rows = await h.database.db
      .select({ id: servedLists.requestId, experimentId: servedLists.experimentId, variant: servedLists.variant })
      .from(servedLists)
      .where(eq(servedLists.userId, u2));
    expect(rows.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "attr-r2", experimentId: exp, variant: "B" },
      { id: "attr-r3", experimentId: null, variant: null },
    ]);
  });

  it("counts each (request, item, outcome) once, inside the window only", async () => {
    const counts = byVariant(await attributedCounts(h.database.db, exp, 24));
    // One user per variant, so the per-user moments are the squares and products of the totals.
    expect(counts.A).toEqual({
      variant: "A",
      users: 1,
      lists: 2,
      impressions: 4,
      clicks: 2,
      addToCarts: 1,
      conversions: 1,
      moments: { impressionsSq: 16, clicksSq: 4, clicksXImpressions: 8, conversionsSq: 1, conversionsXImpressions: 4 },
    });
    expect(counts.B).toEqual({
      variant: "B",
      users: 1,
      lists: 1,
      impressions: 3,
      clicks: 1,
      addToCarts: 0,
      conversions: 1,
      moments: { impressionsSq: 9, clicksSq: 1, clicksXImpressions: 3, conversionsSq: 1, conversionsXImpressions: 3 },
    });
  });

  it("credits the click outside the default window when the window is wider", async () => {
    const counts = byVariant(await attributedCounts(h.database.db, exp, 48));
    expect(counts.A).toMatchObject({ clicks: 3, conversions: 1 });
    expect(counts.B).toMatchObject({ clicks: 1 });
  });

  it("refuses a window that is not positive", async () => {
    await expect(attributedCounts(h.database.db, exp, 0)).rejects.toThrow(/must be positive/);
  });
});

describe("the results timeline", () => {
  const timeline = async (id: string, query = "") => h.request(`${BASE}/${id}/timeline${query}`, { headers: bearer(h.keys.admin) });

  it("is empty before the start, and 404 for an unknown experiment", async () => {
    const id = await createExperiment("Timeline draft");
    expect(await json(await timeline(id))).toEqual({ experiment_id: id, points: [] });
    expect((await timeline("no-such-experiment-000000")).status).toBe(404);
    const bad = await timeline(id, "?points=1");
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe("points");
  });

  it("counts the lists served before each instant, and ends at the readout's rates", async () => {
    const id = await createExperiment("Timeline");
    const users = 1000;
    await plant(id, users, { A: 0.1, B: 0.15 }, 11);
    // Lists were served from T0 to T0 + 999 s + 1 h; the experiment ran from T0 to just after the last.
    const start = new Date(T0);
    const stop = new Date(T0 + (users - 1) * 1000 + HOUR);
    await h.database.db.update(experiments).set({ status: "stopped", startedAt: start, stoppedAt: stop }).where(eq(experiments.id, id));

    const body = await json(await timeline(id, "?points=4"));
    expect(body.points).toHaveLength(4);
    const rows = await h.database.db.select({ ts: servedLists.ts, variant: servedLists.variant }).from(servedLists).where(eq(servedLists.experimentId, id));
    for (const point of body.points) {
      const at = Date.parse(point.at);
      for (const v of point.variants) {
        const expected = rows.filter((r) => r.variant === v.variant && r.ts.getTime() < at).length;
        expect(v.lists, `${v.variant} at ${point.at}`).toBe(expected);
        expect(v.ctr.lower).toBeLessThanOrEqual(v.ctr.rate);
        expect(v.ctr.upper).toBeGreaterThanOrEqual(v.ctr.rate);
      }
    }
    // The first quarter holds only first lists of early users; the bands narrow as lists accrue.
    const widthOf = (p: { variants: Array<{ ctr: { lower: number; upper: number } }> }) => p.variants[0]!.ctr.upper - p.variants[0]!.ctr.lower;
    expect(widthOf(body.points[0])).toBeGreaterThan(widthOf(body.points[3]));

    const r = await results(id);
    const last = body.points[3];
    for (const [i, v] of r.variants.entries()) {
      expect(last.variants[i]).toEqual({
        variant: v.variant,
        lists: v.lists,
        impressions: v.impressions,
        clicks: v.clicks,
        conversions: v.conversions,
        ctr: v.ctr,
        conversion_rate: v.conversion_rate,
      });
    }
  }, 30_000);
});
