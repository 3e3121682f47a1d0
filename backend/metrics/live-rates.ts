/**
 * Live rates for the dashboard: events stored and lists served per second, the edge's
 * latency percentiles and the degraded share, over the last few minutes.
 *
 * Prometheus counters hold totals since start, and a rate needs two scrapes; an
 * operator opening the dashboard wants "now" at once. So the same calls that feed the
 * counters also feed a ring of one-second slots (five minutes of them). Latencies go
 * into a log-spaced histogram per slot (5 % wide buckets), so a percentile is read
 * within 5 % of the exact order statistic without keeping every value.
 */

export const LIVE_WINDOW_MAX_SECONDS = 300;

/** Bucket i holds latencies in (FIRST·GROWTH^(i−1), FIRST·GROWTH^i] ms; the last one everything above. */
const FIRST_BOUND_MS = 0.1;
const GROWTH = 1.05;
const BUCKETS = Math.ceil(Math.log(100_000 / FIRST_BOUND_MS) / Math.log(GROWTH)) + 1;

interface Slot {
  second: number;
  ingested: number;
  served: number;
  degraded: number;
  byStage: Map<string, number>;
  latency: Uint32Array;
}

export interface LiveRates {
  ingested(count: number, nowMs?: number): void;
  served(list: { latencyMs: number | undefined; degraded: readonly string[] }, nowMs?: number): void;
  /** Over the last `seconds` whole seconds before now (the current, partial second is left out). */
  snapshot(seconds: number, nowMs?: number): LiveSnapshot;
}

export interface LiveSnapshot {
  window_seconds: number;
  ingested_events: number;
  ingested_per_second: number;
  served_lists: number;
  served_per_second: number;
  /** Upper bounds of the buckets holding each percentile; null with no measured list. */
  latency_ms: { p50: number | null; p95: number | null; p99: number | null; measured: number };
  degraded_lists: number;
  /** Share of served lists degraded in any stage; null when none was served. */
  degraded_share: number | null;
  degraded_by_stage: Record<string, number>;
  /** Each second of the window, oldest first (unix seconds), for a chart. */
  per_second: Array<{ second: number; ingested: number; served: number }>;
}

export function createLiveRates(clock: () => number = Date.now): LiveRates {
  const ring: Slot[] = Array.from({ length: LIVE_WINDOW_MAX_SECONDS + 1 }, () => emptySlot(-1));

  function slotAt(nowMs: number): Slot {
    const second = Math.floor(nowMs / 1000);
    const index = second % ring.length;
    let slot = ring[index] as Slot;
    if (slot.second !== second) {
      slot = emptySlot(second);
      ring[index] = slot;
    }
    return slot;
  }

  return {
    ingested(count, nowMs = clock()) {
      slotAt(nowMs).ingested += count;
    },
    served(list, nowMs = clock()) {
      const slot = slotAt(nowMs);
      slot.served += 1;
      if (list.latencyMs !== undefined) (slot.latency[bucketOf(list.latencyMs)] as number)++;
      if (list.degraded.length === 0) return;
      slot.degraded += 1;
      for (const stage of new Set(list.degraded)) slot.byStage.set(stage, (slot.byStage.get(stage) ?? 0) + 1);
    },
    snapshot(seconds, nowMs = clock()) {
      const window = Math.max(1, Math.min(LIVE_WINDOW_MAX_SECONDS, Math.floor(seconds)));
      const current = Math.floor(nowMs / 1000);
      const inWindow = ring.filter((s) => s.second >= current - window && s.second < current);
      const bySecond = new Map(inWindow.map((s) => [s.second, s]));
      const perSecond = Array.from({ length: window }, (_, i) => {
        const second = current - window + i;
        const slot = bySecond.get(second);
        return { second, ingested: slot?.ingested ?? 0, served: slot?.served ?? 0 };
      });
      return { ...summarise(inWindow, window), per_second: perSecond };
    },
  };
}

function emptySlot(second: number): Slot {
  return { second, ingested: 0, served: 0, degraded: 0, byStage: new Map(), latency: new Uint32Array(BUCKETS) };
}

export function bucketOf(ms: number): number {
  if (!(ms > FIRST_BOUND_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / FIRST_BOUND_MS) / Math.log(GROWTH) - 1e-9));
}

export function bucketUpperBound(index: number): number {
  return FIRST_BOUND_MS * GROWTH ** index;
}

function summarise(slots: readonly Slot[], window: number): Omit<LiveSnapshot, "per_second"> {
  const latency = new Uint32Array(BUCKETS);
  const byStage: Record<string, number> = {};
  let ingested = 0;
  let served = 0;
  let degraded = 0;
  for (const s of slots) {
    ingested += s.ingested;
    served += s.served;
    degraded += s.degraded;
    for (let i = 0; i < BUCKETS; i++) (latency[i] as number) += s.latency[i] as number;
    for (const [stage, n] of s.byStage) byStage[stage] = (byStage[stage] ?? 0) + n;
  }
  const measured = latency.reduce((a, b) => a + b, 0);
  return {
    window_seconds: window,
    ingested_events: ingested,
    ingested_per_second: ingested / window,
    served_lists: served,
    served_per_second: served / window,
    latency_ms: { p50: percentile(latency, measured, 0.5), p95: percentile(latency, measured, 0.95), p99: percentile(latency, measured, 0.99), measured },
    degraded_lists: degraded,
    degraded_share: served === 0 ? null : degraded / served,
    degraded_by_stage: byStage,
  };
}

/** The nearest-rank percentile's bucket bound, rounded to 0.01 ms. */
function percentile(hist: Uint32Array, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i] as number;
    if (seen >= rank) return Math.round(bucketUpperBound(i) * 100) / 100;
  }
  return null;
}
