/**
 * Served-score drift on PostgreSQL with planted lists: a champion whose ranker left a
 * serving reference (the heads of the lists it replayed at its window's end), then served lists stored through the
 * ingest API as the edge sends them — a day scored like the reference (no alert) and a
 * day whose scores fell, as when a feature breaks (the alert, in the API and the monitor).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServedList } from "../../models/events.js";
import { mulberry32 } from "../../models/prng.js";
import { promote } from "../registry/model-registry.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";
import { publishedVersion } from "../test-support/training-stand-ins.js";
import { DEFAULT_THRESHOLDS } from "./data-quality.js";
import { createDataQualityMonitor } from "./data-quality-monitor.js";
import { compareServed, driftReport, featureReferencesOf, MIN_EVENTS_FOR_DRIFT, scoreReferenceOf } from "./drift.js";
import { SERVED_HEAD } from "../../models/events.js";
import { featureReferences, scoreReference } from "./score-reference.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
});
afterAll(() => h?.close());

const DAY = 86_400_000;
const CLEAN_DAY = Date.UTC(2026, 2, 1);
const SHIFTED_DAY = Date.UTC(2026, 2, 3);
const BROKEN_FEATURE_DAY = Date.UTC(2026, 2, 5);
const LIST = 30;

interface Row {
  score: number;
  /** Two ranking features: alpha follows the score, beta is a count 0..3 of its own. */
  alpha: number;
  beta: number;
}

/**
 * `lists` candidate lists of LIST rows each, best score first: scores roughly normal
 * around `mean`, on a grid of 0.05 as a tree ensemble's few outputs would be; `broken`
 * sets beta to 0 everywhere, as a feature whose input stopped arriving would.
 */
function scoredLists(lists: number, seed: number, mean = 0, broken = false): Row[][] {
  const rng = mulberry32(seed);
  const row = (): Row => {
    const score = Math.round((mean + (rng() + rng() + rng() - 1.5)) * 20) / 20;
    return { score, alpha: Math.round((score + rng()) * 100) / 100, beta: broken ? 0 : Math.floor(rng() * 4) };
  };
  return Array.from({ length: lists }, () => Array.from({ length: LIST }, row).sort((a, b) => b.score - a.score));
}

const FEATURES = ["alpha", "beta"];

function references() {
  const lists = scoredLists(400, 1);
  const groups = [0];
  for (const l of lists) groups.push(groups[groups.length - 1]! + l.length);
  const rows = lists.flat();
  const scores = rows.map((r) => r.score);
  return {
    servedScores: scoreReference(scores, groups)!,
    servedFeatures: featureReferences(
      rows.flatMap((r) => [r.alpha, r.beta]),
      FEATURES,
      scores,
      groups,
    ),
  };
}
const reference = () => references().servedScores;

let seq = 0;
/** Served lists of the head of each scored list, as the edge logs them (every one in the feature sample), `at` spread over a day. */
function served(version: string, lists: Row[][], at: number, scores = true): ServedList[] {
  return lists.map((l, i) => {
    const head = l.slice(0, SERVED_HEAD);
    return {
      request_id: `${h.prefix}-served-${seq++}`,
      user_id: `${h.prefix}-u${i}`,
      model_version: version,
      context: null,
      items: head.map((_, k) => `item-${k}`),
      degraded: [],
      ts: at + Math.floor((i / lists.length) * (DAY - 1)),
      ...(scores ? { scores: head.map((r) => r.score), features: head.flatMap((r) => [r.alpha, r.beta]) } : {}),
    };
  });
}

async function ingest(lists: ServedList[]): Promise<void> {
  for (let i = 0; i < lists.length; i += 500) {
    const res = await h.request("/internal/v1/ingest", jsonRequest("POST", { served: lists.slice(i, i + 500) }, bearer(BACKEND_TOKEN)));
    expect(res.status, await res.clone().text()).toBe(200);
  }
}

describe("the served-score reference", () => {
  it("bins the head of each list at its deciles, with edges between the scores seen", () => {
    const ref = reference();
    expect(ref.lists).toBe(400);
    expect(ref.counts.reduce((a, b) => a + b, 0)).toBe(400 * SERVED_HEAD);
    // No edge sits on a score: every score is a multiple of 0.05, every edge half-way between two.
    for (const e of ref.edges) expect(Math.round(e * 20) / 20).not.toBeCloseTo(e, 6);
    // Near-deciles: no bin holds a third of the scores on this smooth a distribution.
    for (const c of ref.counts) expect(c).toBeLessThan((400 * SERVED_HEAD) / 3);
    // A score rounded on its way (float32, 6 decimals) stays in its bin.
    const again = compareServed(
      ref,
      scoredLists(300, 1).flatMap((l) => l.slice(0, SERVED_HEAD).map((r) => [Math.fround(r.score + 1e-7), 1] as const)),
    )!;
    expect(again.psi).toBeLessThan(0.02);
  });

  it("reads the reference from a registry row, and nothing from rows without one or of another shape", () => {
    const ref = reference();
    expect(scoreReferenceOf({ ranker_report: { servedScores: ref } })).toEqual(ref);
    expect(scoreReferenceOf({})).toBeNull();
    expect(scoreReferenceOf({ ranker_report: null })).toBeNull();
    expect(scoreReferenceOf({ ranker_report: { servedScores: { edges: [1], counts: [1] } } })).toBeNull();
  });

  it("keeps one reference per ranking feature in column order, and reads none if one column is of another shape", () => {
    const { servedFeatures } = references();
    expect(servedFeatures.map((f) => f.feature)).toEqual(FEATURES);
    // beta takes 4 values: 3 edges half-way between them.
    expect(servedFeatures[1]!.edges).toEqual([0.5, 1.5, 2.5]);
    expect(featureReferencesOf({ ranker_report: { servedFeatures } })).toEqual(servedFeatures);
    expect(featureReferencesOf({ ranker_report: { servedFeatures: [servedFeatures[0], { feature: "beta", edges: [1] }] } })).toEqual([]);
    expect(featureReferencesOf({})).toEqual([]);
  });
});

describe("served-score drift", () => {
  it("finds none in a day scored like the reference and the fall of a day whose scores dropped", async () => {
    const refs = references();
    const ref = refs.servedScores;
    await publishedVersion(h.database.db, "scores-champion", { ranker_report: refs });
    await promote(h.database.db, "scores-champion", "test");

    // Lists without scores (not ranked) and another version's lists do not count.
    await ingest([
      ...served("scores-champion", scoredLists(300, 2), CLEAN_DAY),
      ...served("scores-champion", scoredLists(100, 3, -2), CLEAN_DAY, false),
      ...served("other-version", scoredLists(100, 4, -2), CLEAN_DAY),
    ]);
    const clean = await driftReport(h.database.db, 24, new Date(CLEAN_DAY + DAY));
    const cleanScores = clean.features.find((f) => f.feature === "served_score")!;
    expect(cleanScores.psi).toBeLessThan(0.05);
    expect(cleanScores.bins).toHaveLength(ref.edges.length + 1);
    expect(cleanScores.bins.reduce((s, b) => s + b.current, 0)).toBeCloseTo(1, 10);
    for (const name of ["ranking_alpha", "ranking_beta"]) expect(clean.features.find((f) => f.feature === name)!.psi, name).toBeLessThan(0.05);

    await ingest(served("scores-champion", scoredLists(300, 5, -0.5), SHIFTED_DAY));
    const shifted = await driftReport(h.database.db, 24, new Date(SHIFTED_DAY + DAY));
    const shiftedScores = shifted.features.find((f) => f.feature === "served_score")!;
    expect(shiftedScores.psi).toBeGreaterThan(0.25);
    // The mass moved to the lowest bins.
    expect(shiftedScores.bins[0]!.current).toBeGreaterThan(3 * shiftedScores.bins[0]!.reference);
    // alpha follows the score down; beta has nothing to do with it.
    expect(shifted.features.find((f) => f.feature === "ranking_alpha")!.psi).toBeGreaterThan(0.25);
    expect(shifted.features.find((f) => f.feature === "ranking_beta")!.psi).toBeLessThan(0.05);
  });

  it("names the ranking feature that broke while the scores' mix barely moved", async () => {
    await ingest(served("scores-champion", scoredLists(300, 6, 0, true), BROKEN_FEATURE_DAY));
    const r = await driftReport(h.database.db, 24, new Date(BROKEN_FEATURE_DAY + DAY));
    const psiOf = (name: string) => r.features.find((f) => f.feature === name)!.psi;
    expect(psiOf("ranking_beta")).toBeGreaterThan(0.25);
    expect(psiOf("ranking_alpha")).toBeLessThan(0.05);
    expect(psiOf("served_score")).toBeLessThan(0.05);
    const zero = r.features.find((f) => f.feature === "ranking_beta")!.bins[0]!;
    expect(zero).toMatchObject({ bin: "≤ 0.5", current: 1 });
  });

  it("alerts past the threshold in the monitor and the API, and not on the clean day", async () => {
    let now = new Date(CLEAN_DAY + DAY);
    const monitor = createDataQualityMonitor({ db: h.database.db, thresholds: DEFAULT_THRESHOLDS, metrics: h.metrics, intervalMinutes: 0, now: () => now });
    expect((await monitor.tick()).drift.alerts).toEqual([]);
    now = new Date(SHIFTED_DAY + DAY);
    const alerts = (await monitor.tick()).drift.alerts;
    expect(alerts.map((a) => a.feature)).toEqual(["served_score", "ranking_alpha"]);
    expect(alerts[0]!.message).toMatch(/^PSI \d\.\d{3} of served_score between the serving replay of scores-champion and the last 24 h \(threshold 0\.25\)$/);

    const api = await json(await h.app.request(`/api/v1/data-quality/drift?hours=24&at=${now.toISOString()}`, { headers: bearer(h.keys.admin) }));
    expect(api.features.map((f: { feature: string }) => f.feature)).toContain("served_score");
    expect(api.alerts.map((a: { feature: string }) => a.feature)).toEqual(["served_score", "ranking_alpha"]);
    const metrics = await (await h.app.request("/metrics")).text();
    expect(metrics).toMatch(/recs_backend_data_quality_drift_psi\{feature="served_score"\} \d+\.\d+/);
    expect(metrics).toMatch(/recs_backend_data_quality_drift_psi\{feature="ranking_beta"\} \d+\.\d+/);

    now = new Date(BROKEN_FEATURE_DAY + DAY);
    const broken = (await monitor.tick()).drift.alerts;
    expect(broken.map((a) => a.feature)).toEqual(["ranking_beta"]);
    expect(broken[0]!.message).toMatch(/^PSI \d+\.\d{3} of ranking_beta between the serving replay of scores-champion and the last 24 h/);
  });

  it("waits for enough served scores", async () => {
    const r = await driftReport(h.database.db, 1, new Date(SHIFTED_DAY + 2 * 3_600_000));
    expect(r.features.find((f) => f.feature === "served_score")).toBeUndefined();
    expect(compareServed(reference(), [[0, MIN_EVENTS_FOR_DRIFT - 1]])).toBeNull();
  });
});
