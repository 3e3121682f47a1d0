import { describe, expect, it } from "vitest";
import { bucketOf, bucketUpperBound, createLiveRates } from "./live-rates.js";

const T = 1_800_000_000_000; // a whole second

describe("live rates", () => {
  it("counts whole seconds of the window and leaves out the current one", () => {
    const live = createLiveRates();
    for (let s = 0; s < 10; s++) {
      live.ingested(100, T + s * 1000);
      for (let i = 0; i < 5; i++) live.served({ latencyMs: 10, degraded: s === 9 && i < 2 ? ["features", "features"] : [] }, T + s * 1000 + i);
    }
    const now = T + 9_500; // second 9 is still running
    const snap = live.snapshot(5, now);
    expect(snap).toMatchObject({
      window_seconds: 5,
      ingested_events: 500,
      ingested_per_second: 100,
      served_lists: 25,
      served_per_second: 5,
      degraded_lists: 0,
    });
    const later = live.snapshot(10, T + 10_000);
    expect(later.served_lists).toBe(50);
    expect(later.degraded_lists).toBe(2);
    expect(later.degraded_share).toBeCloseTo(2 / 50, 10);
    // A list degraded twice in one stage counts once for it.
    expect(later.degraded_by_stage).toEqual({ features: 2 });
    expect(later.per_second).toHaveLength(10);
    expect(later.per_second[0]).toEqual({ second: T / 1000, ingested: 100, served: 5 });
    expect(snap.per_second.map((p) => p.second - T / 1000)).toEqual([4, 5, 6, 7, 8]);
  });

  it("forgets slots older than the window, even when the ring wrapped", () => {
    const live = createLiveRates();
    live.ingested(7, T);
    expect(live.snapshot(60, T + 1000).ingested_events).toBe(7);
    expect(live.snapshot(60, T + 61_000).ingested_events).toBe(0);
    // 301 s later the same ring slot is reused for a new second.
    live.ingested(3, T + 301_000);
    expect(live.snapshot(300, T + 302_000).ingested_events).toBe(3);
  });

  it("reads percentiles within one 5 % bucket of the exact nearest rank", () => {
    const live = createLiveRates();
    // 1 … 100 ms: exact p50 = 50, p95 = 95, p99 = 99.
    for (let ms = 1; ms <= 100; ms++) live.served({ latencyMs: ms, degraded: [] }, T);
    const { latency_ms } = live.snapshot(1, T + 1000);
    expect(latency_ms.measured).toBe(100);
    for (const [got, exact] of [
      [latency_ms.p50, 50],
      [latency_ms.p95, 95],
      [latency_ms.p99, 99],
    ] as const) {
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got!).toBeLessThanOrEqual(exact * 1.05 + 0.01);
    }
  });

  it("puts a value in the bucket whose bound is the first at or above it", () => {
    for (const ms of [0.05, 0.1, 0.11, 1, 7.3, 250, 99_999]) {
      const i = bucketOf(ms);
      expect(bucketUpperBound(i)).toBeGreaterThanOrEqual(ms * (1 - 1e-12));
      if (i > 0) expect(bucketUpperBound(i - 1)).toBeLessThan(ms);
    }
  });

  it("has no percentiles or share without lists", () => {
    const snap = createLiveRates().snapshot(60, T);
    expect(snap.latency_ms).toEqual({ p50: null, p95: null, p99: null, measured: 0 });
    expect(snap.degraded_share).toBeNull();
  });
});
