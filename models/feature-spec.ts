/**
 * The ranker's features: one definition shared by the trainer (backend/training) and
 * the edge (worker/recommend). Both call `rankingFeatures` with the same plain inputs, so
 * a feature cannot mean one thing in training and another in serving; the manifest pins
 * `FEATURE_SPEC_HASH` and the edge refuses a ranker trained on a different list.
 *
 * Inputs are what both sides can know at request time t:
 *   - the user's history before t (session Durable Object at the edge, interaction log
 *     in training), as (item, ts, weight) with the shared event weights;
 *   - per candidate: the retrieval (iALS) score, the published item-to-item similarity
 *     to the user's recent items, decayed popularity from the top lists the edge reads
 *     from Redis (0 outside them, in training too), and catalog facts;
 *   - the request context (home, pdp, cart, email, …).
 * Sentinels instead of NaN for "unknown" (−1), because the trees split on thresholds and
 * a sentinel below every real value gives "unknown" its own branch on both sides.
 */
import { sha256OfBytes } from "./hash.js";

export interface HistoryEvent {
  readonly item_id: string;
  /** Epoch ms. */
  readonly ts: number;
  /** Shared event weight (models/events.ts); ≤ 0 carries no interest. */
  readonly weight: number;
}

export interface ItemFacts {
  readonly category: string | null;
  readonly price: number | null;
  /** Epoch ms of the item's first interaction in the model's training data, if any. */
  readonly firstSeen: number | null;
}

export interface CandidateSignals {
  readonly item_id: string;
  /** x_u · y_i from the folded-in user vector; null when the user has no vector. */
  readonly retrievalScore: number | null;
  /** Σ over the user's recent anchors of the published similarity anchor → item. */
  readonly neighbourScore: number;
  /** Forward-decayed weight, 24 h half-life; 0 when not in the trending top list. */
  readonly trending: number;
  /** Forward-decayed weight, 7 d half-life; 0 when not in the popular top list. */
  readonly popular: number;
}

export interface RankingContext {
  readonly now: number;
  readonly history: readonly HistoryEvent[];
  readonly context: string | null;
}

/** Request contexts with their own code; anything else is "other". */
export const CONTEXTS = ["home", "pdp", "cart", "checkout", "email", "search", "category"] as const;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Hours since the user last touched the category, capped: a month ago is "long ago". */
const CATEGORY_RECENCY_CAP_HOURS = 24 * 30;

interface UserSummary {
  /** Largest retrieval / neighbour score among this request's candidates, for relative features. */
  maxRetrieval: number;
  maxNeighbour: number;
  categoryWeight: Map<string, number>;
  categoryLast: Map<string, number>;
  totalWeight: number;
  distinctItems: number;
  lastHourEvents: number;
}

export interface FeatureDefinition {
  readonly name: string;
  readonly description: string;
  readonly compute: (c: CandidateSignals, item: ItemFacts | undefined, user: UserSummary, ctx: RankingContext) => number;
}

/** The features, in column order. Append only; changing one changes FEATURE_SPEC_HASH. */
export const FEATURES: readonly FeatureDefinition[] = [
  {
    name: "retrieval_score",
    description: "iALS score x_u·y_i of the user vector folded in from the history; 0 without a vector",
    compute: (c) => c.retrievalScore ?? 0,
  },
  {
    name: "neighbour_score",
    description: "sum of published item-to-item similarities from the user's 5 most recent items",
    compute: (c) => c.neighbourScore,
  },
  {
    name: "retrieval_relative",
    description: "retrieval score divided by the best retrieval score among the request's candidates; −1 without a vector",
    compute: (c, _i, user) => (c.retrievalScore === null || !(user.maxRetrieval > 0) ? -1 : c.retrievalScore / user.maxRetrieval),
  },
  {
    name: "neighbour_relative",
    description: "neighbour score divided by the best neighbour score among the request's candidates; 0 if none",
    compute: (c, _i, user) => (user.maxNeighbour > 0 ? c.neighbourScore / user.maxNeighbour : 0),
  },
  {
    name: "trending_24h",
    description: "log(1 + decayed weight, 24 h half-life) if in the trending top list, else 0",
    compute: (c) => Math.log1p(Math.max(0, c.trending)),
  },
  {
    name: "popular_7d",
    description: "log(1 + decayed weight, 7 d half-life) if in the popular top list, else 0",
    compute: (c) => Math.log1p(Math.max(0, c.popular)),
  },
  {
    name: "category_affinity",
    description: "share of the user's history weight in the candidate's category; −1 if the category is unknown",
    compute: (_c, item, user) => {
      if (!item?.category) return -1;
      return user.totalWeight > 0 ? (user.categoryWeight.get(item.category) ?? 0) / user.totalWeight : 0;
    },
  },
  {
    name: "hours_since_category",
    description: `hours since the user last touched the candidate's category, capped at ${CATEGORY_RECENCY_CAP_HOURS}; −1 if never or unknown`,
    compute: (_c, item, user, ctx) => {
      const last = item?.category ? user.categoryLast.get(item.category) : undefined;
      if (last === undefined) return -1;
      return Math.min(CATEGORY_RECENCY_CAP_HOURS, Math.max(0, (ctx.now - last) / HOUR));
    },
  },
  {
    name: "item_age_days",
    description: "days since the item's first interaction in the training data; −1 if unknown",
    compute: (_c, item, _u, ctx) => (item?.firstSeen == null ? -1 : Math.max(0, (ctx.now - item.firstSeen) / DAY)),
  },
  {
    name: "log_price",
    description: "log(1 + price); −1 if unknown",
    compute: (_c, item) => (item?.price == null ? -1 : Math.log1p(Math.max(0, item.price))),
  },
  {
    name: "history_items",
    description: "log(1 + distinct items the user has interacted with)",
    compute: (_c, _i, user) => Math.log1p(user.distinctItems),
  },
  {
    name: "session_events_1h",
    description: "the user's events in the hour before the request",
    compute: (_c, _i, user) => user.lastHourEvents,
  },
  {
    name: "context",
    description: `request context code: 1 + index in [${CONTEXTS.join(", ")}], 0 for none or other`,
    compute: (_c, _i, _u, ctx) => 1 + CONTEXTS.indexOf((ctx.context ?? "") as (typeof CONTEXTS)[number]),
  },
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);

function summarise(ctx: RankingContext, candidates: readonly CandidateSignals[], items: (id: string) => ItemFacts | undefined): UserSummary {
  let maxRetrieval = 0;
  let maxNeighbour = 0;
  for (const c of candidates) {
    maxRetrieval = Math.max(maxRetrieval, c.retrievalScore ?? 0);
    maxNeighbour = Math.max(maxNeighbour, c.neighbourScore);
  }
  const s: UserSummary = {
    maxRetrieval,
    maxNeighbour,
    categoryWeight: new Map(),
    categoryLast: new Map(),
    totalWeight: 0,
    distinctItems: 0,
    lastHourEvents: 0,
  };
  const distinct = new Set<string>();
  for (const e of ctx.history) {
    if (e.ts > ctx.now) continue;
    if (ctx.now - e.ts <= HOUR) s.lastHourEvents++;
    if (e.weight <= 0) continue;
    distinct.add(e.item_id);
    s.totalWeight += e.weight;
    const category = items(e.item_id)?.category;
    if (!category) continue;
    s.categoryWeight.set(category, (s.categoryWeight.get(category) ?? 0) + e.weight);
    s.categoryLast.set(category, Math.max(s.categoryLast.get(category) ?? -Infinity, e.ts));
  }
  s.distinctItems = distinct.size;
  return s;
}

/** Row-major [candidates, FEATURES.length] matrix, the ranker graph's input. */
export function rankingFeatures(ctx: RankingContext, candidates: readonly CandidateSignals[], items: (id: string) => ItemFacts | undefined): Float32Array {
  const user = summarise(ctx, candidates, items);
  const width = FEATURES.length;
  const out = new Float32Array(candidates.length * width);
  for (let row = 0; row < candidates.length; row++) {
    const c = candidates[row]!;
    const item = items(c.item_id);
    for (let col = 0; col < width; col++) out[row * width + col] = FEATURES[col]!.compute(c, item, user, ctx);
  }
  return out;
}

/**
 * The user's most recent distinct positive items ("anchors"), whose published neighbours
 * become candidates and the neighbour_score feature; the same rule at the edge and in
 * training.
 */
export const NEIGHBOUR_ANCHORS = 5;
export function recentAnchors(history: readonly HistoryEvent[], now: number, limit = NEIGHBOUR_ANCHORS): string[] {
  const sorted = history.filter((e) => e.weight > 0 && e.ts <= now).sort((a, b) => b.ts - a.ts);
  const anchors: string[] = [];
  for (const e of sorted) {
    if (!anchors.includes(e.item_id)) anchors.push(e.item_id);
    if (anchors.length === limit) break;
  }
  return anchors;
}

/** The canonical text hashed into FEATURE_SPEC_HASH: names and descriptions in order. */
export function featureSpecText(): string {
  return JSON.stringify(FEATURES.map((f) => [f.name, f.description]));
}

export async function featureSpecHash(): Promise<string> {
  return sha256OfBytes(new TextEncoder().encode(featureSpecText()));
}
