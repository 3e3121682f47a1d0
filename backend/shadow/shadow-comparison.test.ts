import { describe, expect, it } from "vitest";
import { compareShadow, percentile, type ShadowPair } from "./shadow-comparison.js";

const pair = (
  requestId: string,
  served: string[],
  shadow: string[],
  servedLatencyMs: number | null = null,
  shadowLatencyMs: number | null = null,
): ShadowPair => ({
  requestId,
  served,
  shadow,
  servedLatencyMs,
  shadowLatencyMs,
});

describe("compareShadow", () => {
  it("matches a hand-computed case", () => {
    const pairs = [
      pair("r1", ["a", "b", "c", "d"], ["a", "x", "y", "z"], 10, 20), // overlap 1/4
      pair("r2", ["a", "b", "c", "d"], ["d", "c", "b", "a"], 30, 40), // overlap 4/4
      pair("r3", ["a", "b", "c", "d"], ["p", "q", "r", "s"], 50, 60), // overlap 0
    ];
    // r1: the user bought x (shadow only) and b (served only); r2: a (both); r3: nothing.
    const outcomes = new Map([
      ["r1", new Set(["x", "b"])],
      ["r2", new Set(["a"])],
    ]);
    const c = compareShadow(pairs, outcomes, 4);
    expect(c.requests).toBe(3);
    expect(c.mean_overlap_at_k).toBeCloseTo((0.25 + 1 + 0) / 3, 6);
    expect(c.requests_with_outcomes).toBe(2);
    expect(c.served_hit_rate).toBe(1); // r1 (b) and r2 (a)
    expect(c.shadow_hit_rate).toBe(1); // r1 (x) and r2 (a)
    expect(c.shadow_only_hits).toBe(1);
    expect(c.served_only_hits).toBe(1);
    // p95 of [10, 30, 50] at position 0.95·2 = 1.9: 30 + 0.9·20 = 48.
    expect(c.served_latency_p95_ms).toBe(48);
    expect(c.shadow_latency_p95_ms).toBe(58);
  });

  it("counts only the top k of each list", () => {
    const c = compareShadow([pair("r", ["a", "b", "c"], ["c", "a", "b"])], new Map([["r", new Set(["c"])]]), 1);
    expect(c.mean_overlap_at_k).toBe(0);
    expect(c.served_hit_rate).toBe(0);
    expect(c.shadow_hit_rate).toBe(1);
  });

  it("says null rather than zero when there is nothing to measure", () => {
    const c = compareShadow([], new Map());
    expect(c).toMatchObject({ requests: 0, mean_overlap_at_k: null, served_hit_rate: null, shadow_hit_rate: null, served_latency_p95_ms: null });
  });
});

describe("percentile", () => {
  it("interpolates like numpy.percentile (linear)", () => {
    // numpy.percentile([1, 2, 3, 4, 10], 95) = 8.8
    expect(percentile([10, 1, 3, 2, 4], 0.95)).toBeCloseTo(8.8, 9);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
  });
});
