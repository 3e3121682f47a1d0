/**
 * The trending (24 h half-life) and popular (7 d half-life) top lists as the edge would
 * have read them from Redis at time t, computed from the interaction log. The edge's
 * values are forward-decayed sums (worker/features/forward-decay.ts): Σ w·2^(−(t − ts)/h)
 * over events before t. Only the top `size` items are kept, because that is all the
 * edge reads (feature-reader's POPULAR_READ); outside it the ranker sees 0 in serving,
 * so it must see 0 in training too.
 */
import { WINDOW_HALF_LIFE_MS } from "../../models/feature-keys.js";
import type { Interaction } from "../evaluation/interactions.js";

export const TOP_LIST_SIZE = 100;

export interface PopularitySnapshot {
  trending: Array<[string, number]>;
  popular: Array<[string, number]>;
}

function decayedTop(log: readonly Interaction[], at: number, halfLifeMs: number, size: number): Array<[string, number]> {
  const sums = new Map<string, number>();
  for (const e of log) {
    if (e.ts > at || e.weight <= 0) continue;
    sums.set(e.item_id, (sums.get(e.item_id) ?? 0) + e.weight * 2 ** (-(at - e.ts) / halfLifeMs));
  }
  return [...sums].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, size);
}

export function popularityAt(log: readonly Interaction[], at: number, size = TOP_LIST_SIZE): PopularitySnapshot {
  return {
    trending: decayedTop(log, at, WINDOW_HALF_LIFE_MS["24h"], size),
    popular: decayedTop(log, at, WINDOW_HALF_LIFE_MS["7d"], size),
  };
}
