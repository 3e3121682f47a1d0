/**
 * Candidate generation for a learned model version, shared by the edge (serving) and the
 * trainer (which runs it over historical data to build the ranker's training lists, so
 * the ranker learns to order exactly the kind of lists it will be given).
 *
 * Sources, each capped, merged and deduplicated in this order:
 *   cf          — top items of the iALS retrieval for the folded-in user vector
 *   similar     — published item-to-item neighbours of the user's recent items
 *                 (co-occurrence, content similarity for sparse items)
 *   co_view     — real-time co-view partners from Redis (edge only: learns within seconds)
 *   trending    — 24 h decayed popularity top list
 *   popular     — 7 d decayed popularity top list
 * Every candidate carries every signal the feature spec needs, whichever source found it.
 */
import type { CandidateSignals } from "./feature-spec.js";

export type CandidateSource = "cf" | "similar" | "co_view" | "co_purchase" | "trending" | "popular";

export interface CandidateInputs {
  /** Retrieval top list, best first; empty without a user vector. */
  readonly retrieval: ReadonlyArray<readonly [string, number]>;
  /** The retrieval score of any item (for candidates of other sources, the graph's item_scores); null without a vector. */
  readonly retrievalScoreOf: (id: string) => number | null;
  /** Neighbour score per item with the anchor that contributed most. */
  readonly neighbours: ReadonlyMap<string, { score: number; anchor: string }>;
  readonly realtime?: ReadonlyArray<readonly [string, number, "co_view" | "co_purchase"]>;
  readonly trending: ReadonlyArray<readonly [string, number]>;
  readonly popular: ReadonlyArray<readonly [string, number]>;
}

export interface CandidateLimits {
  retrieval: number;
  similar: number;
  realtime: number;
  trending: number;
  popular: number;
}

export const DEFAULT_CANDIDATE_LIMITS: Readonly<CandidateLimits> = {
  retrieval: 100,
  similar: 60,
  realtime: 30,
  trending: 30,
  popular: 30,
};

export interface GeneratedCandidate extends CandidateSignals {
  readonly sources: CandidateSource[];
  /** The recent item that made it a neighbour candidate, for the reason text. */
  readonly anchor: string | null;
}

/** Neighbour scores summed over anchors, remembering the strongest anchor per item. */
export function neighbourCandidates(
  anchors: readonly string[],
  similar: (id: string) => ReadonlyArray<readonly [string, number]> | undefined,
): Map<string, { score: number; anchor: string }> {
  const out = new Map<string, { score: number; anchor: string; best: number }>();
  for (const a of anchors) {
    for (const [id, s] of similar(a) ?? []) {
      const cur = out.get(id);
      if (!cur) out.set(id, { score: s, anchor: a, best: s });
      else {
        cur.score += s;
        if (s > cur.best) Object.assign(cur, { anchor: a, best: s });
      }
    }
  }
  return new Map([...out].map(([id, v]) => [id, { score: v.score, anchor: v.anchor }]));
}

/** What the sources other than retrieval bring: everything but the retrieval score. */
export type OtherSources = Omit<CandidateInputs, "retrieval" | "retrievalScoreOf">;

/**
 * The candidates the sources other than retrieval contribute, in merge order. Their picks
 * never depend on retrieval's (an item both found still counts against each cap), so they
 * can be known before retrieval runs, and retrieval asked for just their scores.
 */
export function otherCandidates(
  input: OtherSources,
  exclude: ReadonlySet<string>,
  limits: Readonly<CandidateLimits> = DEFAULT_CANDIDATE_LIMITS,
): Array<[string, CandidateSource]> {
  const out: Array<[string, CandidateSource]> = [];
  const take = (list: ReadonlyArray<readonly [string, unknown, CandidateSource?]>, source: CandidateSource, limit: number) => {
    let n = 0;
    for (let i = 0; i < list.length && n < limit; i++) {
      const [id, , own] = list[i]!;
      if (exclude.has(id)) continue;
      out.push([id, own ?? source]);
      n++;
    }
  };
  take(
    [...input.neighbours].sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1)),
    "similar",
    limits.similar,
  );
  take(input.realtime ?? [], "co_view", limits.realtime);
  take(input.trending, "trending", limits.trending);
  take(input.popular, "popular", limits.popular);
  return out;
}

export function generateCandidates(
  input: CandidateInputs,
  exclude: ReadonlySet<string>,
  limits: Readonly<CandidateLimits> = DEFAULT_CANDIDATE_LIMITS,
  others: ReadonlyArray<readonly [string, CandidateSource]> = otherCandidates(input, exclude, limits),
): GeneratedCandidate[] {
  const found = new Map<string, CandidateSource[]>();
  const add = (id: string, source: CandidateSource) => {
    const s = found.get(id);
    if (!s) found.set(id, [source]);
    else if (!s.includes(source)) s.push(source);
  };
  let taken = 0;
  for (let i = 0; i < input.retrieval.length && taken < limits.retrieval; i++) {
    const id = input.retrieval[i]![0];
    if (exclude.has(id)) continue;
    add(id, "cf");
    taken++;
  }
  for (const [id, source] of others) add(id, source);

  const trending = scoreMap(input.trending);
  const popular = scoreMap(input.popular);
  const out: GeneratedCandidate[] = [];
  for (const [item_id, sources] of found) {
    const n = input.neighbours.get(item_id);
    out.push({
      item_id,
      sources,
      anchor: n?.anchor ?? null,
      retrievalScore: input.retrievalScoreOf(item_id),
      neighbourScore: n?.score ?? 0,
      trending: trending.get(item_id) ?? 0,
      popular: popular.get(item_id) ?? 0,
    });
  }
  return out;
}

/**
 * Item → score of a popularity list. The lists come from an isolate cache and are shared
 * by every request until they are re-read, so each list's map is built once, not per
 * request.
 */
const scoreMaps = new WeakMap<object, ReadonlyMap<string, number>>();
function scoreMap(list: ReadonlyArray<readonly [string, number]>): ReadonlyMap<string, number> {
  let m = scoreMaps.get(list);
  if (!m) scoreMaps.set(list, (m = new Map(list)));
  return m;
}

/**
 * The order used when a version ships no ranker (or the ranker fails at the edge): each
 * signal normalised by its maximum in the list, retrieval first. Weights are a hand
 * prior, not learned; the ranker exists to replace them.
 */
export const FALLBACK_WEIGHTS = { retrieval: 1, neighbour: 0.5, trending: 0.15, popular: 0.1 } as const;

export function fallbackScores(candidates: readonly CandidateSignals[]): Float32Array {
  let r = 1e-12;
  let n = 1e-12;
  let t = 1e-12;
  let p = 1e-12;
  for (const c of candidates) {
    r = Math.max(r, c.retrievalScore ?? 0);
    n = Math.max(n, c.neighbourScore);
    t = Math.max(t, c.trending);
    p = Math.max(p, c.popular);
  }
  return Float32Array.from(
    candidates,
    (c) =>
      (FALLBACK_WEIGHTS.retrieval * Math.max(0, c.retrievalScore ?? 0)) / r +
      (FALLBACK_WEIGHTS.neighbour * c.neighbourScore) / n +
      (FALLBACK_WEIGHTS.trending * c.trending) / t +
      (FALLBACK_WEIGHTS.popular * c.popular) / p,
  );
}

/** How a version orders its candidates; the trainer picks one on validation lists. */
export const ORDERINGS = ["ranker", "formula", "retrieval"] as const;
export type Ordering = (typeof ORDERINGS)[number];

/**
 * The "retrieval" ordering: candidates the retrieval model scores above zero come first,
 * in retrieval-score order; the rest follow in fallback-formula order. For a strong
 * item-item model (EASE) the hand-weighted blend of the formula only dilutes its order.
 */
export function retrievalOrderScores(candidates: readonly CandidateSignals[]): Float32Array {
  const formula = fallbackScores(candidates);
  let top = 1e-12;
  for (const c of candidates) top = Math.max(top, c.retrievalScore ?? 0);
  let formulaTop = 1e-12;
  for (const f of formula) formulaTop = Math.max(formulaTop, f);
  return Float32Array.from(candidates, (c, i) => {
    const r = c.retrievalScore ?? 0;
    return r > 0 ? 2 + r / top : formula[i]! / formulaTop;
  });
}
