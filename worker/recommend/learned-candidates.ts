/**
 * The learned path of serving, for an active model version:
 *   session history (with the trained history, models/trained-history.ts) → fold-in + retrieval (ONNX, in the isolate) → candidates from
 *   retrieval, published neighbours, real-time co-view, trending and popular
 *   (models/candidates.ts) → catalog records → features (models/feature-spec.ts) →
 *   LambdaMART ranker (ONNX) → ordered candidates with reasons.
 * Each model stage degrades on its own: no retrieval → the other sources still
 * personalise; no ranker (or it fails) → the fallback formula orders the list.
 */
import type { EdgeItemRecord } from "../../models/catalog.js";
import {
  fallbackScores,
  generateCandidates,
  neighbourCandidates,
  otherCandidates,
  retrievalOrderScores,
  type CandidateSource,
  type GeneratedCandidate,
  type OtherSources,
} from "../../models/candidates.js";
import { retrieveItems } from "../../models/item-weights.js";
import { candidateLimitsOf, orderingOf } from "../../models/model-manifest.js";
import { rankingFeatures, recentAnchors, type HistoryEvent, type ItemFacts } from "../../models/feature-spec.js";
import { historyStrengths } from "../../models/interaction-strength.js";
import { withTrainedHistory, type TrainedItem } from "../../models/trained-history.js";
import type { RecentInteraction } from "../../durable-objects/user-session.js";
import type { ServingSignals } from "../features/feature-reader.js";
import type { Timing } from "../http/server-timing.js";
import { rankScores, retrieve, type HistoryEntry, type LoadedModel } from "../models/active-model.js";
import type { Env } from "../env.js";
import { retrieveFromVectorStore, type VectorRetrieval } from "../models/vector-retrieval.js";
import { byScore, type Anchor, type Candidate, type Reason } from "./score.js";

/** Both store calls of vector-store retrieval together. */
const VECTOR_BUDGET_MS = 250;

export interface LearnedInput {
  model: LoadedModel;
  /** Most recent first, as the session object returns it (plus the page's item, if any). */
  recent: readonly RecentInteraction[];
  /** The user's trained history from the feature store (models/trained-history.ts); [] when none. */
  trained: readonly TrainedItem[];
  signals: ServingSignals;
  context: string | null;
  exclude: ReadonlySet<string>;
  now: number;
  vectorEnv: Pick<Env, "UPSTASH_VECTOR_REST_URL" | "UPSTASH_VECTOR_REST_TOKEN">;
  timing: Timing;
  degraded: string[];
  /** Catalog records for the candidates; may throw (the caller's catalog stage). */
  records: (ids: string[]) => Promise<ReadonlyMap<string, EdgeItemRecord>>;
}

export interface LearnedResult {
  candidates: Candidate[];
  records: ReadonlyMap<string, EdgeItemRecord> | null;
  ranked: boolean;
  /** The ranker's feature row of a candidate, when the ranker ordered the list (for the served-list log). */
  featuresOf: ((id: string) => Float32Array | undefined) | null;
}

function historyOf(recent: readonly RecentInteraction[], weights: Readonly<Record<string, number>>): HistoryEvent[] {
  return recent.map((r) => ({ item_id: r.item_id, ts: r.ts, weight: weights[r.type] ?? 0 }));
}

/** Retrieval's answer whichever path produced it. */
export interface Found {
  top: Array<[string, number]>;
  scoreOf: (id: string) => number | null;
}

/**
 * In-process retrieval that also scores `others`, the other sources' candidates (their
 * ids, repeats and items outside the version allowed): the graph gathers just their
 * scores, so the ranker reads every candidate's retrieval score without every item's
 * score leaving the runtime.
 */
export async function inProcessRetrieval(model: LoadedModel, history: readonly HistoryEntry[], others: readonly string[]): Promise<Found> {
  const scored = [...new Set(others)].filter((id) => model.itemIndex.has(id));
  const r = await retrieve(
    model,
    history,
    scored.map((id) => model.itemIndex.get(id)!),
  );
  const top = r.indices.map((i, k): [string, number] => [model.items[i]!, r.scores[k]!]);
  const scores = new Map(top);
  scored.forEach((id, k) => scores.set(id, r.itemScores[k]!));
  return { top, scoreOf: (id) => scores.get(id) ?? null };
}

function fromStore(r: VectorRetrieval): Found {
  const scores = new Map(r.ids.map((id, k) => [id, r.scores[k]!]));
  return { top: r.ids.map((id, k): [string, number] => [id, r.scores[k]!]), scoreOf: (id) => scores.get(id) ?? null };
}

/** EASE (manifest scorer "ease"): a gather-sum over the item-weights table, in the isolate. */
function fromItemWeights(input: LearnedInput, history: readonly HistoryEvent[]): Found | null {
  const { model } = input;
  return retrieveItems(model.itemWeights!, model.items, model.itemIndex, history, model.manifest.retrieval.top_k, input.exclude);
}

async function retrieval(
  input: LearnedInput,
  history: readonly HistoryEvent[],
  others: ReadonlyArray<readonly [string, CandidateSource]>,
): Promise<Found | null> {
  const { model } = input;
  if (model.manifest.scorer?.kind === "ease" && model.itemWeights) {
    if (!history.some((e) => e.weight > 0 && model.itemIndex.has(e.item_id))) return null;
    try {
      return input.timing.measureSync("retrieval", () => fromItemWeights(input, history));
    } catch (err) {
      input.degraded.push("retrieval");
      warn("retrieval", err);
      return null;
    }
  }
  if (!model.retrieval && !model.foldIn) return null;
  const entries = historyStrengths(history, model.itemIndex, model.manifest.retrieval.strength);
  if (entries.length === 0) return null;
  try {
    return await input.timing.measure("retrieval", async () => {
      if (model.retrieval)
        return inProcessRetrieval(
          model,
          entries,
          others.map(([id]) => id),
        );
      input.timing.trip(2); // the history items' vectors, then the query
      const r = await retrieveFromVectorStore(input.vectorEnv, model, entries, VECTOR_BUDGET_MS);
      return r ? fromStore(r) : null;
    });
  } catch (err) {
    input.degraded.push("retrieval");
    warn("retrieval", err);
    return null;
  }
}

/** Real-time co-view/co-purchase partners of the anchors, strongest first. */
function realtimePartners(signals: ServingSignals, anchors: readonly string[]): Array<[string, number, "co_view" | "co_purchase"]> {
  const out: Array<[string, number, "co_view" | "co_purchase"]> = [];
  for (const a of anchors) {
    for (const [id, s] of signals.coView.get(a) ?? []) out.push([id, s, "co_view"]);
    for (const [id, s] of signals.coPurchase.get(a) ?? []) out.push([id, s, "co_purchase"]);
  }
  return out.sort((x, y) => y[1] - x[1]);
}

function otherSources(input: LearnedInput, history: readonly HistoryEvent[]): OtherSources {
  const { model, signals } = input;
  const anchors = recentAnchors(history, input.now);
  return {
    neighbours: neighbourCandidates(anchors, (id) => model.similar.get(id)),
    realtime: realtimePartners(signals, anchors),
    // No live counts yet (a shop that only imported its history): the version's own lists.
    trending: signals.trending.length > 0 ? signals.trending : model.trending,
    popular: signals.popular.length > 0 ? signals.popular : model.popular,
  };
}

async function scoresOf(
  input: LearnedInput,
  history: readonly HistoryEvent[],
  cands: readonly GeneratedCandidate[],
  records: ReadonlyMap<string, EdgeItemRecord> | null,
): Promise<{ scores: Float32Array; ranked: boolean; features?: Float32Array }> {
  const { model } = input;
  const ordering = orderingOf(model.manifest);
  // Without history the user is outside what the ranker learned from (see the trainer).
  if (history.length === 0 || cands.length === 0) return { scores: fallbackScores(cands), ranked: false };
  if (ordering === "retrieval") return { scores: retrievalOrderScores(cands), ranked: false };
  if (!model.ranker || ordering !== "ranker") return { scores: fallbackScores(cands), ranked: false };
  const facts = (id: string): ItemFacts | undefined => {
    const rec = records?.get(id);
    const first = model.firstSeen.get(id);
    if (!rec && first === undefined) return undefined;
    return { category: rec?.category ?? null, price: rec?.price ?? null, firstSeen: first ?? null };
  };
  try {
    const features = rankingFeatures({ now: input.now, history, context: input.context }, cands, facts);
    const scores = await input.timing.measure("ranker", () => rankScores(model, features, cands.length), String(cands.length));
    return { scores, ranked: true, features };
  } catch (err) {
    input.degraded.push("ranker");
    warn("ranker", err);
    return { scores: fallbackScores(cands), ranked: false };
  }
}

function reasonOf(c: GeneratedCandidate, recent: ReadonlyMap<string, RecentInteraction>): Reason {
  if (c.anchor !== null && c.sources.includes("similar")) {
    const r = recent.get(c.anchor);
    const anchor: Anchor = { item_id: c.anchor, type: r?.type ?? "view", ts: r?.ts ?? 0, weight: 1 };
    return { kind: "anchor", source: "co_view", anchor };
  }
  if (c.sources.includes("cf")) return { kind: "cf" };
  if (c.sources.includes("trending")) return { kind: "trending" };
  return { kind: "popular" };
}

export async function learnedCandidates(input: LearnedInput): Promise<LearnedResult> {
  const history = withTrainedHistory(historyOf(input.recent, input.model.manifest.retrieval.event_weights), input.trained);
  const limits = candidateLimitsOf(input.model.manifest);
  // The other sources are known before retrieval, so the one model run also scores them.
  const started = performance.now();
  const sources = otherSources(input, history);
  const others = otherCandidates(sources, input.exclude, limits);
  const sourcesMs = performance.now() - started;
  const found = await retrieval(input, history, others);
  const cands = input.timing.measureSync(
    "candidates",
    () => generateCandidates({ ...sources, retrieval: found?.top ?? [], retrievalScoreOf: (id) => found?.scoreOf(id) ?? null }, input.exclude, limits, others),
    sourcesMs,
  );
  let records: ReadonlyMap<string, EdgeItemRecord> | null = null;
  try {
    records = await input.records([...new Set([...cands.map((c) => c.item_id), ...history.slice(0, 5).map((h) => h.item_id)])]);
  } catch (err) {
    input.degraded.push("catalog");
    warn("catalog", err);
  }
  const { scores, ranked, features } = await scoresOf(input, history, cands, records);
  // The most recent interaction with each item, as a search from the newest would find it.
  const latest = new Map<string, RecentInteraction>();
  for (let i = input.recent.length - 1; i >= 0; i--) latest.set(input.recent[i]!.item_id, input.recent[i]!);
  const candidates = cands.map((c, i): Candidate => ({ item_id: c.item_id, score: scores[i]!, sources: c.sources, reason: reasonOf(c, latest) })).sort(byScore);
  return { candidates, records, ranked, featuresOf: features ? rowsById(cands, features) : null };
}

/** Rows of a row-major feature matrix by candidate id; the map is built only if asked. */
function rowsById(cands: readonly GeneratedCandidate[], features: Float32Array): (id: string) => Float32Array | undefined {
  const width = features.length / cands.length;
  let rows: Map<string, number> | null = null;
  return (id) => {
    rows ??= new Map(cands.map((c, i) => [c.item_id, i]));
    const i = rows.get(id);
    return i === undefined ? undefined : features.subarray(i * width, (i + 1) * width);
  };
}

function warn(stage: string, err: unknown): void {
  console.warn(JSON.stringify({ level: "warn", msg: `${stage} degraded`, error: String(err) }));
}
