/**
 * How a shadow version's lists compare with the lists actually served for the same
 * requests — pure, so every figure can be checked by hand.
 *
 * For each request with both lists (top k of each):
 *  - overlap@k = |served ∩ shadow| / k: how different the shadow would have been;
 *  - outcomes = the items the user then clicked, carted or bought (feedback on the
 *    served list, or the user's events within the attribution window after it);
 *  - a served hit / shadow hit when an outcome item is in that list.
 *
 * The served list's hits are inflated by exposure: users click what they are shown. A
 * shadow hit is an item the user reached without the shadow showing it, so the shadow's
 * hit rate is a lower bound of what it would have earned, and a shadow that matches the
 * served hit rate is doing well. `shadow_only_hits` (outcomes only the shadow had) is
 * the clearest sign that it knows something the served model does not.
 */

export interface ShadowPair {
  requestId: string;
  served: readonly string[];
  shadow: readonly string[];
  servedLatencyMs: number | null;
  shadowLatencyMs: number | null;
}

export interface ShadowComparison {
  requests: number;
  k: number;
  mean_overlap_at_k: number | null;
  requests_with_outcomes: number;
  served_hit_rate: number | null;
  shadow_hit_rate: number | null;
  shadow_only_hits: number;
  served_only_hits: number;
  served_latency_p95_ms: number | null;
  shadow_latency_p95_ms: number | null;
}

export function compareShadow(pairs: readonly ShadowPair[], outcomes: ReadonlyMap<string, ReadonlySet<string>>, k = 10): ShadowComparison {
  let overlapSum = 0;
  let withOutcomes = 0;
  let servedHits = 0;
  let shadowHits = 0;
  let shadowOnly = 0;
  let servedOnly = 0;
  for (const p of pairs) {
    const served = new Set(p.served.slice(0, k));
    const shadow = new Set(p.shadow.slice(0, k));
    overlapSum += [...shadow].filter((i) => served.has(i)).length / k;
    const items = outcomes.get(p.requestId);
    if (!items || items.size === 0) continue;
    withOutcomes++;
    const servedHit = [...items].some((i) => served.has(i));
    const shadowHit = [...items].some((i) => shadow.has(i));
    if (servedHit) servedHits++;
    if (shadowHit) shadowHits++;
    for (const i of items) {
      if (shadow.has(i) && !served.has(i)) shadowOnly++;
      if (served.has(i) && !shadow.has(i)) servedOnly++;
    }
  }
  const n = pairs.length;
  return {
    requests: n,
    k,
    mean_overlap_at_k: n ? round(overlapSum / n) : null,
    requests_with_outcomes: withOutcomes,
    served_hit_rate: withOutcomes ? round(servedHits / withOutcomes) : null,
    shadow_hit_rate: withOutcomes ? round(shadowHits / withOutcomes) : null,
    shadow_only_hits: shadowOnly,
    served_only_hits: servedOnly,
    served_latency_p95_ms: percentile(
      pairs.flatMap((p) => (p.servedLatencyMs === null ? [] : [p.servedLatencyMs])),
      0.95,
    ),
    shadow_latency_p95_ms: percentile(
      pairs.flatMap((p) => (p.shadowLatencyMs === null ? [] : [p.shadowLatencyMs])),
      0.95,
    ),
  };
}

/**
 * Linear interpolation between closest ranks (numpy's default, and Postgres'
 * percentile_cont): position q·(n−1) in the sorted values.
 */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return round(sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo));
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
