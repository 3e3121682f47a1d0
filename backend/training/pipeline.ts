/**
 * The full learned pipeline as one model: iALS retrieval, item-to-item neighbours, and a
 * LambdaMART ranker over the candidates they produce — fitted here, served at the edge
 * from the exported artifacts, and replayed here (`rankForUser`) for offline evaluation
 * with the same candidate generation (models/candidates.ts) and features
 * (models/feature-spec.ts) the edge uses.
 *
 * How the ranker is trained without leaking the future:
 *   the log is cut at T_r (by default the last 20% of its interactions);
 *   retrieval and neighbours are fitted on the part before T_r;
 *   for a sample of users active on both sides, candidates are generated at T_r from their
 *   history before T_r, with the popularity top lists as of T_r;
 *   a candidate's label is 1 if the user interacted with it positively after T_r.
 * The published version then refits retrieval and neighbours on the whole log and keeps
 * that ranker: its features are relative signals (scores, shares, recencies), not ids.
 * (Covington, Adams & Sargin, "Deep Neural Networks for YouTube Recommendations", RecSys
 * 2016, describe the same two-stage split; LambdaMART: backend/training/lambdamart.ts.)
 */
import type { CatalogItem } from "../../models/catalog.js";
import {
  DEFAULT_CANDIDATE_LIMITS,
  fallbackScores,
  generateCandidates,
  neighbourCandidates,
  retrievalOrderScores,
  type CandidateLimits,
  type GeneratedCandidate,
  type Ordering,
} from "../../models/candidates.js";
import { FEATURE_NAMES, rankingFeatures, recentAnchors, type HistoryEvent, type ItemFacts } from "../../models/feature-spec.js";
import type { Interaction } from "../evaluation/interactions.js";
import { ndcgAtK } from "../evaluation/metrics.js";
import { cutTimestamp } from "../evaluation/temporal-split.js";
import { boughtTogether, similarItems, type Neighbours } from "./item-neighbours.js";
import {
  compileEnsemble,
  fitLambdaMart,
  ndcgOfQueries,
  predictCompiled,
  type CompiledEnsemble,
  type LambdaMartParams,
  type RankingDataset,
  type TreeEnsemble,
} from "./lambdamart.js";
import { DEFAULT_EASE, easeRetrieve, fitEaseComponent, type EaseComponent, type EaseParams, type EaseSetting } from "./ease-component.js";
import { popularityAt, type PopularitySnapshot } from "./popularity-snapshot.js";
import { Rng } from "./random.js";
import { featureReferences, scoreReference, type FeatureReference, type ScoreReference } from "../data-quality/score-reference.js";
import type { IalsParams } from "./ials.js";
import { selectModel } from "./model-selection.js";
import { allScores, DEFAULT_RETRIEVAL, fitRetrieval, foldIn, topByScore, type RetrievalModel, type RetrievalParams } from "./retrieval-model.js";

export interface PipelineParams {
  retrieval: RetrievalParams;
  /** null trains retrieval (and neighbours) only: the "retrieval" model type. */
  ranker: Partial<LambdaMartParams> | null;
  /** Share of the log after T_r whose interactions label the ranker's lists. */
  rankerLabelFraction: number;
  /** Most users sampled as ranker queries (seeded), to bound training time. */
  rankerQueries: number;
  candidates: CandidateLimits;
  neighbours: number;
  /**
   * Factor counts tried on the ranker's split (NDCG@10 of retrieval alone on the label
   * period); the best is used for the published version. Empty: use retrieval.ials.factors.
   */
  factorGrid: number[];
  /** EASE as a second retrieval scorer; null: iALS only. */
  ease: EaseParams | null;
  /**
   * iALS settings tried on the model-selection hold-out (Rendle et al., RecSys 2022: more
   * factors, frequency-scaled λ); the best serves when iALS orders the lists without the
   * ranker. Empty: retrieval.ials as given.
   */
  ialsGrid: IalsSetting[];
  /**
   * Choose the scorer (iALS or EASE) and the ordering (ranker, formula, retrieval) on a
   * random per-user hold-out of the training log (model-selection.ts); null keeps iALS
   * with the ranker when it ships, else the formula.
   */
  selection: { users: number; seed: number } | null;
  /**
   * A recipe to follow instead of choosing one: scorer, ordering, EASE setting and
   * factors as a published version chose them. Re-fitting the champion's recipe on a new
   * split is how the gates compare it fairly (train-candidate.ts). Overrides `selection`.
   */
  recipe?: Recipe | null;
  seed: number;
}

/** Which retrieval model feeds the "cf" candidates. */
export type Scorer = "ials" | "ease";

/** The iALS hyper-parameters model selection tunes; the rest stay those of retrieval.ials. */
export interface IalsSetting {
  factors: number;
  regularization: number;
  /** ν of the frequency-scaled λ (ials.ts); 0 is the constant λ. */
  exponent: number;
  alpha: number;
}

/**
 * The iALS grid beyond the untuned fit (the ranker split's factors at λ = 5): twice the
 * default factors with a stronger constant λ, and with ν = 1 and heavier observed
 * weight. On the Online Retail validation hold-out (random 75/25 inside train) these two
 * scored NDCG@10 0.157 and 0.153 against 0.145 for f = 64, λ = 5; λ = 30 fell to 0.123,
 * so the grid stops at 20. Larger f kept improving (f = 256: 0.160) at 3.5× the time.
 */
export const DEFAULT_IALS_GRID: IalsSetting[] = [
  { factors: 128, regularization: 20, exponent: 0, alpha: 1 },
  { factors: 128, regularization: 0.003, exponent: 1, alpha: 5 },
];

/** What model selection decides for a version; recorded in its params, re-fitted by the gates. */
export interface Recipe {
  scorer: Scorer;
  ordering: Ordering;
  ease: EaseSetting | null;
  factors: number;
  /** λ, ν and α of the iALS fit; absent (recipes recorded before tuning): retrieval.ials's own. */
  ials?: Omit<IalsSetting, "factors">;
}

export const DEFAULT_PIPELINE: PipelineParams = {
  retrieval: DEFAULT_RETRIEVAL,
  // 60 trees of 15 leaves at most keep 1,000 candidates near 2 ms in onnxruntime-web
  // (bench/edge-onnx.ts); early stopping ends well before on the data we evaluate on
  // (demo ~30 trees, Online Retail 45).
  ranker: { trees: 60, learningRate: 0.08, maxLeaves: 15, minRowsInLeaf: 30, ndcgAt: 10, patience: 25 },
  rankerLabelFraction: 0.2,
  rankerQueries: 4000,
  candidates: { ...DEFAULT_CANDIDATE_LIMITS },
  neighbours: 30,
  factorGrid: [16, 32, 64],
  ease: DEFAULT_EASE,
  ialsGrid: DEFAULT_IALS_GRID,
  selection: { users: 1500, seed: 11 },
  seed: 1,
};

export type Stage = "selection" | "retrieval" | "neighbours" | "ranker_data" | "ranker" | "final_retrieval" | "final_neighbours";
export type PipelineProgress = (stage: Stage, fraction: number, message: string) => void;

/** Everything the pipeline needs at a point in time, without the ranker. */
export interface Components {
  retrieval: RetrievalModel;
  similar: Map<string, Array<[string, number]>>;
  boughtTogether: Map<string, Array<[string, number]>>;
  facts: Map<string, ItemFacts>;
  /** Fitted when the scorer is EASE. */
  ease: EaseComponent | null;
  scorer: Scorer;
}

export interface PipelineModel extends Components {
  params: PipelineParams;
  ranker: TreeEnsemble | null;
  compiled: CompiledEnsemble | null;
  ordering: Ordering;
  rankerReport: RankerReport | null;
  selection: SelectionReport | null;
  /** Time of the newest interaction trained on. */
  trainedUntil: number;
  /** Popular and trending as of trainedUntil; published for the edge to serve until live counts exist. */
  popularity?: PopularitySnapshot;
}

export interface RankerReport {
  cutTs: number;
  /** NDCG@10 of retrieval alone on the label period, per factor count tried. */
  factorScores: Array<{ factors: number; ndcg: number }>;
  /** Validation NDCG@10 of the fallback formula on the same held-out lists. */
  fallbackNdcg: number;
  /** Whether the ranker beat the fallback on held-out lists and is therefore shipped. */
  shipped: boolean;
  queries: number;
  rows: number;
  positives: number;
  validationNdcg: number | null;
  trees: number;
  /**
   * The serving reference of the drift checks (backend/data-quality/score-reference.ts):
   * the ranker's scores of the head of the lists it would serve the training window's
   * users right after it (servingReference); absent when it does not order the lists,
   * and from versions trained before it was kept.
   */
  servedScores?: ScoreReference | null;
  /** The same for each ranking feature of those items, in the spec's column order. */
  servedFeatures?: FeatureReference[];
}

/** What model selection measured (NDCG@10 on the random per-user validation hold-out). */
export interface SelectionReport {
  users: number;
  /** EASE alone (its retrieval list) per setting tried. */
  easeGrid: Array<EaseSetting & { ndcg: number }>;
  /** iALS alone (its retrieval list) per setting tried. */
  ialsGrid: Array<IalsSetting & { ndcg: number }>;
  variants: Array<{ scorer: Scorer; ordering: Ordering; ndcg: number }>;
  chosen: Recipe;
}

function asPairs(n: Neighbours): Map<string, Array<[string, number]>> {
  return new Map([...n].map(([id, list]) => [id, list.map((x): [string, number] => [x.item_id, x.score])]));
}

function itemFacts(log: readonly Interaction[], catalog: readonly CatalogItem[]): Map<string, ItemFacts> {
  const firstSeen = new Map<string, number>();
  for (const e of log) if (e.ts < (firstSeen.get(e.item_id) ?? Infinity)) firstSeen.set(e.item_id, e.ts);
  const facts = new Map<string, ItemFacts>();
  for (const c of catalog) facts.set(c.item_id, { category: c.category ?? null, price: c.price ?? null, firstSeen: firstSeen.get(c.item_id) ?? null });
  for (const [id, ts] of firstSeen) if (!facts.has(id)) facts.set(id, { category: null, price: null, firstSeen: ts });
  return facts;
}

function fitNeighbours(
  log: readonly Interaction[],
  catalog: readonly CatalogItem[],
  params: PipelineParams,
): Omit<Components, "retrieval" | "ease" | "scorer"> {
  return {
    similar: asPairs(similarItems(log, catalog, { neighbours: params.neighbours, scaling: params.retrieval.scaling })),
    boughtTogether: asPairs(boughtTogether(log, { neighbours: params.neighbours })),
    facts: itemFacts(log, catalog),
  };
}

export function fitComponents(
  log: readonly Interaction[],
  catalog: readonly CatalogItem[],
  params: PipelineParams,
  progress: (part: "retrieval" | "neighbours", fraction: number, message: string) => void = () => {},
  ease: EaseSetting | null = null,
): Components {
  const its = params.retrieval.ials.iterations;
  const retrieval = fitRetrieval(log, params.retrieval, (p) => progress("retrieval", p.iteration / its, `iALS iteration ${p.iteration}/${its}`));
  progress("neighbours", 0, "item-to-item neighbours");
  const rest = fitNeighbours(log, catalog, params);
  progress("neighbours", 1, `neighbours for ${rest.similar.size} items`);
  if (ease === null || !params.ease) return { retrieval, ...rest, ease: null, scorer: "ials" };
  progress("retrieval", 1, `EASE, λ=${ease.lambda}, dropout ${ease.dropout}, keep ${ease.keep}`);
  return { retrieval, ...rest, ease: fitEaseComponent(log, ease), scorer: "ease" };
}

/** The "cf" source of the chosen scorer: its top list and the score of any item. */
function retrieve(
  c: Components,
  history: readonly HistoryEvent[],
  k: number,
  exclude: ReadonlySet<string>,
): { top: Array<[string, number]>; scoreOf: (id: string) => number | null } | null {
  if (c.scorer === "ease" && c.ease) return easeRetrieve(c.ease, history, k, exclude);
  const vector = foldIn(c.retrieval, history);
  if (!vector) return null;
  const scores = allScores(c.retrieval, vector);
  return {
    top: topByScore(c.retrieval, scores, k, exclude),
    scoreOf: (id) => {
      const i = c.retrieval.itemIndex.get(id);
      return i !== undefined ? scores[i]! : null;
    },
  };
}

/** The edge's candidate generation, replayed for one user at `now`. */
export function candidatesFor(
  c: Components,
  history: readonly HistoryEvent[],
  now: number,
  popularity: PopularitySnapshot,
  exclude: ReadonlySet<string>,
  limits: CandidateLimits,
): GeneratedCandidate[] {
  const found = retrieve(c, history, limits.retrieval, exclude);
  const anchors = recentAnchors(history, now);
  return generateCandidates(
    {
      retrieval: found?.top ?? [],
      retrievalScoreOf: (id) => found?.scoreOf(id) ?? null,
      neighbours: neighbourCandidates(anchors, (id) => c.similar.get(id)),
      trending: popularity.trending,
      popular: popularity.popular,
    },
    exclude,
    limits,
  );
}

export interface RankInput {
  history: readonly HistoryEvent[];
  now: number;
  context: string | null;
  popularity: PopularitySnapshot;
  exclude: ReadonlySet<string>;
}

/** Candidates ordered as the edge would order them (ranker, else the fallback formula). */
export function rankForUser(model: PipelineModel, input: RankInput): Array<{ item_id: string; score: number }> {
  const exclude = new Set([...input.exclude, ...input.history.map((e) => e.item_id)]);
  const cands = candidatesFor(model, input.history, input.now, input.popularity, exclude, model.params.candidates);
  const scores = orderScores(model, input, cands);
  return cands.map((cand, i) => ({ item_id: cand.item_id, score: scores[i]! })).sort((a, b) => b.score - a.score || (a.item_id < b.item_id ? -1 : 1));
}

/**
 * The version's ordering, as the edge applies it. A user without history is outside what
 * the ranker learned from (its lists all had a history), so the cold list is ordered by
 * the popularity-led fallback formula.
 */
export function orderScores(model: PipelineModel, input: RankInput, cands: readonly GeneratedCandidate[]): Float32Array {
  if (input.history.length === 0) return fallbackScores(cands);
  if (model.ordering === "retrieval") return retrievalOrderScores(cands);
  if (model.ordering === "ranker" && model.compiled) {
    return predictCompiled(
      model.compiled,
      rankingFeatures(input, cands, (id) => model.facts.get(id)),
      FEATURE_NAMES.length,
    );
  }
  return fallbackScores(cands);
}

/** Each user's interactions as feature-spec history, in log order. */
export function historiesByUser(log: readonly Interaction[]): Map<string, HistoryEvent[]> {
  const byUser = new Map<string, HistoryEvent[]>();
  for (const e of log) {
    let h = byUser.get(e.user_id);
    if (!h) byUser.set(e.user_id, (h = []));
    h.push({ item_id: e.item_id, ts: e.ts, weight: e.weight });
  }
  return byUser;
}

/**
 * Ranker training lists at T_r (see the file header). Users are sampled with a seeded
 * shuffle; queries without a positive candidate teach LambdaMART nothing and are dropped.
 */
export function rankerDataset(
  c: Components,
  before: readonly Interaction[],
  after: readonly Interaction[],
  cutTs: number,
  params: PipelineParams,
  onUser: (done: number, total: number) => void = () => {},
): { dataset: RankingDataset; baseline: Float32Array; positives: number } {
  const histories = historiesByUser(before);
  const future = new Map<string, Set<string>>();
  for (const e of after) {
    if (e.weight <= 0 || !histories.has(e.user_id)) continue;
    let s = future.get(e.user_id);
    if (!s) future.set(e.user_id, (s = new Set()));
    s.add(e.item_id);
  }
  const users = new Rng(params.seed).shuffle([...future.keys()].sort());
  const popularity = popularityAt(before, cutTs);
  const features: Float32Array[] = [];
  const baseline: number[] = [];
  const labels: number[] = [];
  const groups = [0];
  let positives = 0;
  const sample = users.slice(0, params.rankerQueries);
  sample.forEach((user, n) => {
    const history = histories.get(user)!;
    const exclude = new Set(history.map((e) => e.item_id));
    const cands = candidatesFor(c, history, cutTs, popularity, exclude, params.candidates);
    const relevant = future.get(user)!;
    const y = cands.map((cand) => (relevant.has(cand.item_id) ? 1 : 0));
    const hits = y.reduce<number>((a, b) => a + b, 0);
    if (hits > 0 && hits < cands.length) {
      features.push(rankingFeatures({ now: cutTs, history, context: null }, cands, (id) => c.facts.get(id)));
      labels.push(...y);
      baseline.push(...fallbackScores(cands));
      groups.push(labels.length);
      positives += hits;
    }
    if (n % 200 === 0) onUser(n, sample.length);
  });
  const width = FEATURE_NAMES.length;
  const all = new Float32Array(labels.length * width);
  let off = 0;
  for (const f of features) {
    all.set(f, off);
    off += f.length;
  }
  return {
    dataset: { features: all, featureCount: width, labels: Float32Array.from(labels), groups: Int32Array.from(groups), featureNames: FEATURE_NAMES },
    baseline: Float32Array.from(baseline),
    positives,
  };
}

/** Splits a dataset's queries into train and validation (every `every`-th query validates). */
function splitQueries(ds: RankingDataset, every: number): [RankingDataset, RankingDataset, number[]] {
  const parts: [number[], number[]] = [[], []];
  for (let q = 0; q + 1 < ds.groups.length; q++) parts[q % every === every - 1 ? 1 : 0].push(q);
  const take = (queries: number[]): RankingDataset => {
    const rows = queries.reduce((n, q) => n + ds.groups[q + 1]! - ds.groups[q]!, 0);
    const w = ds.featureCount;
    const features = new Float32Array(rows * w);
    const labels = new Float32Array(rows);
    const groups = new Int32Array(queries.length + 1);
    let r = 0;
    queries.forEach((q, i) => {
      const [s, e] = [ds.groups[q]!, ds.groups[q + 1]!];
      features.set(ds.features.subarray(s * w, e * w), r * w);
      labels.set(ds.labels.subarray(s, e), r);
      r += e - s;
      groups[i + 1] = r;
    });
    return { features, featureCount: w, labels, groups, ...(ds.featureNames ? { featureNames: ds.featureNames } : {}) };
  };
  return [take(parts[0]), take(parts[1]), parts[1]];
}

/** Rows of `values` belonging to the given queries, in order. */
function rowsOf(values: Float32Array, groups: Int32Array, queries: readonly number[]): Float32Array {
  const parts = queries.map((q) => values.subarray(groups[q]!, groups[q + 1]!));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Mean NDCG@10 of retrieval alone for users active after the cut (next-new-items, as evaluation). */
function retrievalNdcg(model: RetrievalModel, before: readonly Interaction[], after: readonly Interaction[], users: number, seed: number): number {
  const histories = historiesByUser(before);
  const future = historiesByUser(after.filter((e) => e.weight > 0 && histories.has(e.user_id)));
  const ids = [...future.keys()].sort();
  const rng = new Rng(seed);
  let total = 0;
  let n = 0;
  for (let i = 0; i < Math.min(users, ids.length); i++) {
    const u = ids[rng.int(ids.length)]!;
    const history = histories.get(u)!;
    const seen = new Set(history.map((e) => e.item_id));
    const relevant = new Set(
      future
        .get(u)!
        .map((e) => e.item_id)
        .filter((id) => !seen.has(id)),
    );
    const v = foldIn(model, history);
    if (!v || relevant.size === 0) continue;
    const top = topByScore(model, allScores(model, v), 10, seen);
    total += ndcgAtK(
      top.map(([id]) => id),
      relevant,
      10,
    );
    n++;
  }
  return n === 0 ? 0 : total / n;
}

export function withFactors(params: PipelineParams, factors: number): PipelineParams {
  return { ...params, retrieval: { ...params.retrieval, ials: { ...params.retrieval.ials, factors } } };
}

/** The tuned part of an iALS fit's parameters. */
export function ialsSettingOf(ials: IalsParams): IalsSetting {
  return { factors: ials.factors, regularization: ials.regularization, exponent: ials.regularizationExponent ?? 0, alpha: ials.alpha };
}

export function withIals(params: PipelineParams, s: IalsSetting): PipelineParams {
  const ials = { ...params.retrieval.ials, factors: s.factors, regularization: s.regularization, regularizationExponent: s.exponent, alpha: s.alpha };
  return { ...params, retrieval: { ...params.retrieval, ials } };
}

export interface RankerFit {
  ranker: TreeEnsemble | null;
  report: RankerReport;
  factors: number;
}

export function fitRanker(log: readonly Interaction[], catalog: readonly CatalogItem[], params: PipelineParams, progress: PipelineProgress): RankerFit | null {
  const cutTs = cutTimestamp(log, { testFraction: params.rankerLabelFraction });
  const before = log.filter((e) => e.ts < cutTs);
  const after = log.filter((e) => e.ts >= cutTs);
  if (before.length === 0 || after.length === 0) return null;

  const grid = params.factorGrid.length > 0 ? params.factorGrid : [params.retrieval.ials.factors];
  const factorScores: Array<{ factors: number; ndcg: number }> = [];
  let best: { model: RetrievalModel; factors: number; ndcg: number } | null = null;
  for (const factors of grid) {
    const its = params.retrieval.ials.iterations;
    const model = fitRetrieval(before, withFactors(params, factors).retrieval, (p) =>
      progress("retrieval", p.iteration / its, `choosing factors: f=${factors}, iteration ${p.iteration}/${its}`),
    );
    const ndcg = retrievalNdcg(model, before, after, params.rankerQueries, params.seed);
    factorScores.push({ factors, ndcg });
    if (!best || ndcg > best.ndcg) best = { model, factors, ndcg };
  }
  const chosen = withFactors(params, best!.factors);
  if (params.ranker === null) {
    return { ranker: null, factors: best!.factors, report: emptyReport(cutTs, factorScores) };
  }
  const c: Components = { ...fitNeighbours(before, catalog, chosen), retrieval: best!.model, ease: null, scorer: "ials" };
  const { dataset, baseline, positives } = rankerDataset(c, before, after, cutTs, chosen, (n, total) =>
    progress("ranker_data", n / total, `candidate lists for ${n}/${total} users`),
  );
  const queries = dataset.groups.length - 1;
  // Too few lists to learn an order from: ship no ranker rather than a noisy one.
  if (queries < 20) return { ranker: null, factors: best!.factors, report: { ...emptyReport(cutTs, factorScores), queries } };
  const [train, validation, validationQueries] = splitQueries(dataset, 5);
  const ranker = fitLambdaMart(
    train,
    { ...params.ranker, seed: params.seed },
    (p) => progress("ranker", p.tree / p.trees, `LambdaMART tree ${p.tree}/${p.trees}, train NDCG@10 ${p.trainNdcg.toFixed(4)}`),
    validation,
  );
  ranker.featureNames = [...FEATURE_NAMES];
  const fallbackNdcg = ndcgOfQueries(rowsOf(baseline, dataset.groups, validationQueries), validation, 10);
  const validationNdcg = ranker.validation?.bestNdcg ?? null;
  // The ranker has to earn its place: on held-out lists it must order better than the
  // fallback formula the edge would otherwise use.
  const shipped = validationNdcg !== null && validationNdcg > fallbackNdcg;
  return {
    ranker: shipped ? ranker : null,
    factors: best!.factors,
    report: {
      cutTs,
      factorScores,
      fallbackNdcg,
      shipped,
      queries,
      rows: dataset.labels.length,
      positives,
      validationNdcg,
      trees: ranker.trees.length,
    },
  };
}

function emptyReport(cutTs: number, factorScores: RankerReport["factorScores"]): RankerReport {
  return { cutTs, factorScores, fallbackNdcg: 0, shipped: false, queries: 0, rows: 0, positives: 0, validationNdcg: null, trees: 0 };
}

export function fitPipeline(
  log: readonly Interaction[],
  catalog: readonly CatalogItem[],
  params: PipelineParams = DEFAULT_PIPELINE,
  progress: PipelineProgress = () => {},
): PipelineModel {
  if (log.length === 0) throw new RangeError("cannot train on an empty interaction log");
  const selection = !params.recipe && params.selection ? selectModel(log, catalog, params, progress) : null;
  const chosen = params.recipe ?? selection?.chosen ?? null;
  // The ranker is trained (on the whole log) only when it is what will order the lists.
  const fitted = !chosen || chosen.ordering === "ranker" ? fitRanker(log, catalog, params, progress) : null;
  const factors = params.recipe?.factors ?? fitted?.factors ?? chosen?.factors ?? params.retrieval.ials.factors;
  const final = chosen?.ials ? withIals(params, { factors, ...chosen.ials }) : withFactors(params, factors);
  const ease = chosen?.scorer === "ease" ? chosen.ease : null;
  const c = fitComponents(log, catalog, final, (part, f, m) => progress(part === "retrieval" ? "final_retrieval" : "final_neighbours", f, m), ease);
  const ranker = fitted?.ranker ?? null;
  const ordering: Ordering = chosen && chosen.ordering !== "ranker" ? chosen.ordering : ranker ? "ranker" : "formula";
  const trainedUntil = log.reduce((m, e) => Math.max(m, e.ts), -Infinity);
  const model: PipelineModel = {
    ...c,
    params: final,
    ranker: ordering === "ranker" ? ranker : null,
    compiled: ordering === "ranker" && ranker ? compileEnsemble(ranker) : null,
    ordering,
    rankerReport: fitted?.report ?? null,
    selection,
    trainedUntil,
    popularity: popularityAt(log, trainedUntil + 1),
  };
  if (!model.compiled || !model.rankerReport) return model;
  return { ...model, rankerReport: { ...model.rankerReport, ...servingReference(model, log) } };
}

/** Users whose lists the serving reference replays. */
export const SERVING_REFERENCE_USERS = 500;

/**
 * What the version will serve, replayed on its own training window: the lists of up to
 * SERVING_REFERENCE_USERS sampled users with their whole history, built and ranked as
 * the edge would right after the window ends. Their heads' scores and features are the
 * reference the drift check holds served lists to. Lists at the window's end, not the
 * ranker's validation lists at its label cut: those see shorter histories and younger
 * items by construction, and every served list would differ from them from day one.
 */
function servingReference(model: PipelineModel, log: readonly Interaction[]): Pick<RankerReport, "servedScores" | "servedFeatures"> {
  const histories = historiesByUser(log);
  const users = new Rng(model.params.seed + 1).shuffle([...histories.keys()].sort());
  const now = model.trainedUntil + 1;
  const popularity = model.popularity ?? popularityAt(log, now);
  const scores: number[] = [];
  const features: number[] = [];
  const groups = [0];
  for (const user of users.slice(0, SERVING_REFERENCE_USERS)) {
    const history = histories.get(user)!;
    const exclude = new Set(history.map((e) => e.item_id));
    const cands = candidatesFor(model, history, now, popularity, exclude, model.params.candidates);
    if (cands.length === 0) continue;
    const rows = rankingFeatures({ now, history, context: null }, cands, (id) => model.facts.get(id));
    scores.push(...predictCompiled(model.compiled!, rows, FEATURE_NAMES.length));
    features.push(...rows);
    groups.push(scores.length);
  }
  return { servedScores: scoreReference(scores, groups), servedFeatures: featureReferences(features, FEATURE_NAMES, scores, groups) };
}

/** The recipe a fitted model follows, for its version's params. */
export function recipeOf(model: PipelineModel): Recipe {
  const ease = model.scorer === "ease" && model.ease ? { lambda: model.ease.lambda, dropout: model.ease.dropout, keep: model.ease.table.keep } : null;
  const { factors, ...ials } = ialsSettingOf(model.params.retrieval.ials);
  return { scorer: model.scorer, ordering: model.ordering, ease, factors, ials };
}
