/** The shared features on a hand-computed case: the trainer and the edge both rely on these numbers. */
import { describe, expect, it } from "vitest";
import { FEATURE_NAMES, featureSpecHash, rankingFeatures, recentAnchors, type ItemFacts } from "./feature-spec.js";

const H = 3_600_000;
const now = 1_000 * H;
const facts: Record<string, ItemFacts> = {
  a: { category: "shoes", price: 50, firstSeen: now - 48 * H },
  b: { category: "shoes", price: null, firstSeen: null },
  c: { category: "hats", price: 0, firstSeen: now - 24 * H },
};
const items = (id: string) => facts[id];

describe("rankingFeatures", () => {
  // History: a (shoes, w 1) 2 h ago, c (hats, w 3) 30 min ago, b (shoes, w 10) 10 h ago, a dismissed (w 0) now.
  // Positive weight 14: shoes 11/14, hats 3/14. Events in the last hour: c and the dismiss → 2.
  // Distinct positive items: a, b, c → log(1 + 3).
  const history = [
    { item_id: "a", ts: now - 2 * H, weight: 1 },
    { item_id: "c", ts: now - 0.5 * H, weight: 3 },
    { item_id: "b", ts: now - 10 * H, weight: 10 },
    { item_id: "a", ts: now, weight: 0 },
  ];
  const candidates = [
    { item_id: "a", retrievalScore: 0.5, neighbourScore: 2, trending: 3, popular: 0 },
    { item_id: "z", retrievalScore: null, neighbourScore: 0, trending: 0, popular: Math.E - 1 },
  ];
  const f = rankingFeatures({ now, history, context: "pdp" }, candidates, items);
  const row = (r: number) => Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, f[r * FEATURE_NAMES.length + i]!]));

  it("computes every feature of a known item", () => {
    const a = row(0);
    expect(a.retrieval_score).toBeCloseTo(0.5, 6);
    expect(a.neighbour_score).toBe(2);
    expect(a.retrieval_relative).toBe(1); // the best retrieval score among the candidates
    expect(a.neighbour_relative).toBe(1);
    expect(a.trending_24h).toBeCloseTo(Math.log(4), 6);
    expect(a.popular_7d).toBe(0);
    expect(a.category_affinity).toBeCloseTo(11 / 14, 6);
    expect(a.hours_since_category).toBeCloseTo(2, 6); // shoes last touched by a, 2 h ago (b was 10 h ago)
    expect(a.item_age_days).toBeCloseTo(2, 6);
    expect(a.log_price).toBeCloseTo(Math.log(51), 5);
    expect(a.history_items).toBeCloseTo(Math.log(4), 6);
    expect(a.session_events_1h).toBe(2);
    expect(a.context).toBe(2); // 1 + index of "pdp"
  });

  it("uses the sentinels for what is unknown", () => {
    const z = row(1);
    expect(z.retrieval_score).toBe(0);
    expect(z.retrieval_relative).toBe(-1);
    expect(z.popular_7d).toBeCloseTo(1, 6);
    expect(z.category_affinity).toBe(-1);
    expect(z.hours_since_category).toBe(-1);
    expect(z.item_age_days).toBe(-1);
    expect(z.log_price).toBe(-1);
  });

  it("ignores events after the request time and codes unknown contexts as 0", () => {
    const g = rankingFeatures({ now: now - 5 * H, history, context: "somewhere" }, [candidates[0]!], items);
    const named = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, g[i]!]));
    expect(named.category_affinity).toBe(1); // only b (shoes, 10 h before now) is in the past
    expect(named.history_items).toBeCloseTo(Math.log(2), 6);
    expect(named.context).toBe(0);
  });
});

describe("recentAnchors", () => {
  it("takes the most recent distinct positive items", () => {
    const history = [
      { item_id: "x", ts: 1, weight: 1 },
      { item_id: "y", ts: 3, weight: 1 },
      { item_id: "x", ts: 4, weight: 1 },
      { item_id: "d", ts: 5, weight: 0 },
    ];
    expect(recentAnchors(history, 10)).toEqual(["x", "y"]);
    expect(recentAnchors(history, 10, 1)).toEqual(["x"]);
  });
});

describe("featureSpecHash", () => {
  it("is a stable sha256 of the names and descriptions", async () => {
    const h = await featureSpecHash();
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(await featureSpecHash()).toBe(h);
  });
});
