/**
 * The heuristic scorer used until a learned ranker is active (and as its fallback):
 *
 *   score(c) = w_cv·Σ_a r_a·cv_a(c)/max cv_a + w_cp·Σ_a r_a·cp_a(c)/max cp_a
 *            + w_tr·trend(c)/max trend + w_pop·pop(c)/max pop
 *
 * over the user's anchors a (most recent distinct items), where r_a weighs an anchor by
 * recency (position and age) so the last thing the user looked at steers the most.
 * Each neighbour list is normalised by its own maximum so one very popular anchor
 * cannot drown the others. The reason given is the largest single contribution.
 */
import type { RecentInteraction } from "../../durable-objects/user-session.js";
import type { CandidateSource } from "../../models/candidates.js";
import type { ScoreWeights } from "../config.js";
import type { Scored, ServingSignals } from "../features/feature-reader.js";

/** Where a candidate came from; "cf" and "similar" exist only with a learned model version. */
export type Source = CandidateSource;

export interface Anchor {
  item_id: string;
  type: string;
  ts: number;
  weight: number;
}

export type Reason = { kind: "anchor"; source: "co_view" | "co_purchase"; anchor: Anchor } | { kind: "cf" } | { kind: "trending" } | { kind: "popular" };

export interface Candidate {
  item_id: string;
  score: number;
  sources: Source[];
  reason: Reason;
}

export const MAX_ANCHORS = 5;
const POSITION_DECAY = 0.85;
const AGE_HALF_LIFE_MS = 24 * 3600 * 1000;
/** Signals that say nothing about interest in an item's neighbours. */
const NON_ANCHOR_TYPES = new Set(["dismiss"]);

/** The user's most recent distinct items, weighted by position and age. */
export function anchorsFrom(recent: readonly RecentInteraction[], now: number, max = MAX_ANCHORS): Anchor[] {
  const anchors: Anchor[] = [];
  const seen = new Set<string>();
  for (const r of recent) {
    if (anchors.length >= max) break;
    if (seen.has(r.item_id) || NON_ANCHOR_TYPES.has(r.type)) continue;
    seen.add(r.item_id);
    const age = Math.max(0, now - r.ts);
    const weight = POSITION_DECAY ** anchors.length * (0.5 + 0.5 * 2 ** (-age / AGE_HALF_LIFE_MS));
    anchors.push({ item_id: r.item_id, type: r.type, ts: r.ts, weight });
  }
  return anchors;
}

interface Acc {
  score: number;
  sources: Set<Source>;
  best: number;
  reason: Reason;
}

export function scoreCandidates(anchors: readonly Anchor[], signals: ServingSignals, w: ScoreWeights): Candidate[] {
  const acc = new Map<string, Acc>();
  const add = (item: string, amount: number, source: Source, reason: Reason) => {
    if (amount <= 0) return;
    let a = acc.get(item);
    if (!a) {
      a = { score: 0, sources: new Set(), best: -1, reason };
      acc.set(item, a);
    }
    a.score += amount;
    a.sources.add(source);
    if (amount > a.best) {
      a.best = amount;
      a.reason = reason;
    }
  };
  for (const anchor of anchors) {
    for (const [item, v] of normalised(signals.coView.get(anchor.item_id) ?? [])) {
      add(item, w.co_view * anchor.weight * v, "co_view", { kind: "anchor", source: "co_view", anchor });
    }
    for (const [item, v] of normalised(signals.coPurchase.get(anchor.item_id) ?? [])) {
      add(item, w.co_purchase * anchor.weight * v, "co_purchase", { kind: "anchor", source: "co_purchase", anchor });
    }
  }
  for (const [item, v] of normalised(signals.trending)) add(item, w.trending * v, "trending", { kind: "trending" });
  for (const [item, v] of normalised(signals.popular)) add(item, w.popular * v, "popular", { kind: "popular" });
  return [...acc.entries()].map(([item_id, a]) => ({ item_id, score: a.score, sources: [...a.sources], reason: a.reason })).sort(byScore);
}

export function byScore(a: { score: number; item_id: string }, b: { score: number; item_id: string }): number {
  return b.score - a.score || (a.item_id < b.item_id ? -1 : a.item_id > b.item_id ? 1 : 0);
}

function normalised(list: Scored): Scored {
  const max = list.reduce((m, [, v]) => Math.max(m, v), 0);
  return max > 0 ? list.map(([k, v]) => [k, v / max]) : [];
}
