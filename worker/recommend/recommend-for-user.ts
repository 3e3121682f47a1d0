/**
 * The serving pipeline for one user:
 *   active model version (KV pointer, isolate cache), session context (DO) and the
 *   trained history (Redis, models/trained-history.ts) →
 *   signals (Redis) → candidates and scores: the learned path (learned-candidates.ts)
 *   when a model version is active, else the heuristic scorer → catalog records →
 *   rules (exclusions, availability, category, diversity) → reasons.
 * Each stage has a budget; a failed stage is named in `degraded` and the answer falls
 * back (no model → heuristic; no session → non-personal; no Redis → last good popular list).
 * A user who turned personalisation off gets the same non-personal list: the session
 * object hands out no history for them and no experiment is assigned (`personalised: false`).
 */
import type { EdgeItemRecord } from "../../models/catalog.js";
import { SERVED_HEAD } from "../../models/events.js";
import type { EdgeConfig } from "../config.js";
import type { Env } from "../env.js";
import { coverSnapshot } from "../features/catalog-overlay.js";
import { readFeaturesFor, readItemRecords, type RequestFeatures, type ServingSignals } from "../features/feature-reader.js";
import type { TrainedItem } from "../../models/trained-history.js";
import { countRequests, redisClient } from "../features/redis-client.js";
import type { Timing } from "../http/server-timing.js";
import { getActiveModel, type LoadedModel } from "../models/active-model.js";
import { readSession, withBudget } from "../session/session-store.js";
import { learnedCandidates } from "./learned-candidates.js";
import { assignExperiment, type AssignedVariant, type ExperimentInput } from "../experiments/assign-experiment.js";
import { variantModel } from "../models/variant-models.js";
import { loadSnapshot, needsRefresh, storeSnapshot } from "./popular-cache.js";
import { reasonText } from "./reasons.js";
import { applyRules } from "./rules.js";
import { anchorsFrom, scoreCandidates, type Anchor, type Candidate, type Source } from "./score.js";
import type { RecentInteraction, SessionContext } from "../../durable-objects/user-session.js";
import type { VariantChanges } from "../../models/experiments/experiment.js";

export const HEURISTIC_MODEL_VERSION = "heuristic-v1";
const FEATURE_BUDGET_MS = 300;
const MODEL_LOAD_BUDGET_MS = 2_500;

export interface RecsRequest {
  userId: string;
  limit: number;
  context: string | null;
  itemId: string | null;
  category: string | null;
  exclude: string[];
  /** Running experiments and the request's targeting facts; null outside experiments (bulk). */
  experiment?: ExperimentInput | null;
  /** Score with this version rather than the active or variant one (shadow scoring, shadow-scoring.ts). */
  modelVersion?: string;
}

export interface RecItem {
  item_id: string;
  score: number;
  sources: Source[];
  reason: string;
  title?: string;
  category?: string | null;
}

export interface RecsResult {
  model_version: string;
  items: RecItem[];
  degraded: string[];
  experiment: AssignedVariant | null;
  /** False when no personal data shaped the list: personalisation off, or the session unreadable. */
  personalised: boolean;
  /** True when the version's ranker ordered the list, so the items' scores are its scores. */
  ranked: boolean;
  /**
   * The ranker's feature rows of the first SERVED_HEAD items, in list order and row-major,
   * when it ordered the list; for the served-list log's feature-drift sample, so built
   * only for the lists in it.
   */
  headFeatures?: () => Float32Array | undefined;
}

export async function recommendForUser(
  env: Env,
  baseConfig: EdgeConfig,
  timing: Timing,
  baseRequest: RecsRequest,
  now: number,
  background: (p: Promise<unknown>) => void,
): Promise<RecsResult> {
  const degraded: string[] = [];
  const redis = countRequests(redisClient(env, FEATURE_BUDGET_MS), () => timing.trip());
  timing.trip(); // the session object
  const [session, active] = await Promise.all([
    timing.measure("session", () => readSession(env, baseRequest.userId)),
    timing.measure("model", () => activeModel(env, now, background, degraded)),
  ]);
  const plan = await planList(env, baseConfig, timing, baseRequest, session, active, now, degraded);
  // Only the session object knows the consent: without its yes, the stored history stays
  // unread. It rides in the features pipeline, which waits for the session's anchors anyway.
  const [features] = await readFeatures(redis, [plan], now, timing);
  return await finishList(env, timing, redis, plan, features ?? null, now, background);
}

/**
 * Lists for many users (a bulk call's chunk) with their reads shared: the active model
 * once, the session objects in parallel, one features pipeline for them all (each
 * anchor's neighbours read once), then each list. No experiments: bulk lists go to
 * email and push, outside any experiment's exposure.
 */
export async function recommendForUsers(
  env: Env,
  baseConfig: EdgeConfig,
  timing: Timing,
  requests: readonly RecsRequest[],
  now: number,
  background: (p: Promise<unknown>) => void,
): Promise<RecsResult[]> {
  const modelDegraded: string[] = [];
  const redis = countRequests(redisClient(env, FEATURE_BUDGET_MS), () => timing.trip());
  timing.trip(requests.length); // the session objects
  const [sessions, active] = await Promise.all([
    Promise.all(requests.map((r) => timing.measure("session", () => readSession(env, r.userId)))),
    timing.measure("model", () => activeModel(env, now, background, modelDegraded)),
  ]);
  const plans = await Promise.all(
    requests.map((r, i) => planList(env, baseConfig, timing, { ...r, experiment: null }, sessions[i]!, active, now, [...modelDegraded])),
  );
  const features = await readFeatures(redis, plans, now, timing);
  return await Promise.all(plans.map((plan, i) => finishList(env, timing, redis, plan, features[i] ?? null, now, background)));
}

/** A list's decisions before its features are read: its experiment variant, model, anchors and whose trained history to read. */
interface ListPlan {
  session: SessionContext | null;
  personalised: boolean;
  experiment: AssignedVariant | null;
  model: LoadedModel | null;
  config: EdgeConfig;
  req: RecsRequest;
  fromAllowedSource: (c: { sources: readonly string[] }) => boolean;
  recent: readonly RecentInteraction[];
  seed: RecentInteraction[];
  anchors: Anchor[];
  /** The user whose trained history the features read carries, when they consented. */
  trainedHistoryOf: string | null;
  degraded: string[];
}

async function planList(
  env: Env,
  baseConfig: EdgeConfig,
  timing: Timing,
  baseRequest: RecsRequest,
  session: SessionContext | null,
  active: LoadedModel | null,
  now: number,
  degraded: string[],
): Promise<ListPlan> {
  // Personalisation off: the object returned no history; no experiment stores an assignment either.
  const personalised = session?.personalisation === true;
  const consentOff = session !== null && !session.personalisation;
  const experiment = consentOff ? null : await assignment(env, baseRequest, session, timing, degraded);
  const changes = experiment?.changes ?? {};
  const model = await modelFor(env, baseRequest.modelVersion ?? changes.model_version, active, now, timing, degraded);
  const { config, req, fromAllowedSource } = withVariant(baseConfig, baseRequest, changes);
  if (!session) degraded.push("session");
  const recent = session?.recent ?? [];
  const seed = req.itemId ? [{ item_id: req.itemId, type: "view", ts: now }] : [];
  const anchors = anchorsFrom([...seed, ...recent], now);
  const trainedHistoryOf = personalised ? baseRequest.userId : null;
  return { session, personalised, experiment, model, config, req, fromAllowedSource, recent, seed, anchors, trainedHistoryOf, degraded };
}

async function finishList(
  env: Env,
  timing: Timing,
  redis: ReturnType<typeof redisClient>,
  plan: ListPlan,
  features: RequestFeatures | null,
  now: number,
  background: (p: Promise<unknown>) => void,
): Promise<RecsResult> {
  const { session, req, recent, degraded } = plan;
  const signals = features?.signals ?? null;
  const trained = features?.trained ?? [];
  const snapshot = signals ? null : await loadSnapshot(env);
  if (!signals && !snapshot) degraded.push("popular_fallback");
  const excluded = new Set([...(session?.consumed ?? []), ...req.exclude, ...(req.itemId ? [req.itemId] : [])]);
  for (const r of recent) if (r.type === "dismiss") excluded.add(r.item_id);

  const list: ListInput = { ...plan, env, timing, now, trained, redis, signals, snapshot, excluded };
  const served = plan.model ? await learnedList(list, plan.model) : await heuristicList(list);
  if (signals && req.category === null && needsRefresh(now)) background(refreshSnapshot(env, signals, now));
  return { ...served, degraded, experiment: plan.experiment, personalised: plan.personalised };
}

/** What both list builders work from, after the session, the variant and the signals. */
interface ListInput {
  env: Env;
  config: EdgeConfig;
  timing: Timing;
  req: RecsRequest;
  now: number;
  degraded: string[];
  recent: readonly RecentInteraction[];
  trained: readonly TrainedItem[];
  seed: RecentInteraction[];
  anchors: Anchor[];
  redis: ReturnType<typeof redisClient>;
  signals: ServingSignals | null;
  snapshot: Awaited<ReturnType<typeof loadSnapshot>>;
  excluded: Set<string>;
  fromAllowedSource: (c: { sources: readonly string[] }) => boolean;
}

/** The request and configuration as the experiment variant changes them. */
function withVariant(config: EdgeConfig, req: RecsRequest, changes: VariantChanges) {
  const allowed = changes.candidate_sources ? new Set<string>(changes.candidate_sources) : null;
  return {
    config: {
      ...config,
      scoreWeights: { ...config.scoreWeights, ...changes.score_weights },
      maxCategoryShare: changes.max_category_share ?? config.maxCategoryShare,
    },
    req: { ...req, limit: changes.limit ?? req.limit },
    fromAllowedSource: (c: { sources: readonly string[] }) => allowed === null || c.sources.some((s) => allowed.has(s)),
  };
}

/** A failing feature store costs the signals and the trained history of every list it was read for, never the request. */
async function readFeatures(
  redis: ReturnType<typeof redisClient>,
  plans: readonly ListPlan[],
  now: number,
  timing: Timing,
): Promise<Array<RequestFeatures | null>> {
  for (const p of plans) if (p.model?.catalog) coverSnapshot(p.model.catalog.takenAt);
  try {
    const asks = plans.map((p) => ({ anchors: p.anchors.map((a) => a.item_id), category: p.req.category, trainedHistoryOf: p.trainedHistoryOf }));
    return await timing.measure("features", () => readFeaturesFor(redis, asks, now));
  } catch (err) {
    for (const p of plans) {
      p.degraded.push("features");
      if (p.trainedHistoryOf !== null) p.degraded.push("history");
    }
    logStage("features", err);
    return plans.map(() => null);
  }
}

async function learnedList(l: ListInput, model: LoadedModel): Promise<Pick<RecsResult, "model_version" | "items" | "ranked" | "headFeatures">> {
  // The ranker was trained on lists without the user's own history (next new items), so
  // it has never scored an item the user already touched; the session's and the trained
  // history's items stay out.
  const excluded = new Set([...l.excluded, ...l.recent.map((r) => r.item_id), ...l.trained.map((t) => t.item_id)]);
  const learned = await learnedCandidates({
    model,
    recent: [...l.seed, ...l.recent],
    trained: l.trained,
    signals: l.signals ?? fallbackSignals(l.snapshot, l.req.category),
    context: l.req.context,
    exclude: excluded,
    now: l.now,
    vectorEnv: l.env,
    timing: l.timing,
    degraded: l.degraded,
    records: (ids) =>
      l.signals
        ? l.timing.measure("catalog", () => readItemRecords(l.redis, ids, l.now, model.catalog))
        : Promise.resolve(new Map(Object.entries(l.snapshot?.records ?? {}))),
  });
  const records = learned.records ?? new Map<string, EdgeItemRecord>();
  const final = applyRules(learned.candidates.filter(l.fromAllowedSource), {
    excluded,
    records,
    recordsKnown: learned.records !== null && (l.signals !== null || l.snapshot !== null),
    category: l.req.category,
    limit: l.req.limit,
    maxCategoryShare: l.config.maxCategoryShare,
  });
  const items = final.map((c) => toItem(c, records));
  const rowOf = learned.featuresOf;
  return { model_version: model.version, items, ranked: learned.ranked, ...(rowOf ? { headFeatures: () => headRows(items, rowOf) } : {}) };
}

function headRows(items: readonly RecItem[], rowOf: (id: string) => Float32Array | undefined): Float32Array | undefined {
  const rows = items.slice(0, SERVED_HEAD).map((i) => rowOf(i.item_id));
  if (rows.length === 0 || rows.some((r) => r === undefined)) return undefined;
  const width = rows[0]!.length;
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, k) => out.set(r!, k * width));
  return out;
}

async function heuristicList(l: ListInput): Promise<Pick<RecsResult, "model_version" | "items" | "ranked">> {
  const candidates = l.timing.measureSync("score", () =>
    scoreCandidates(l.anchors, l.signals ?? fallbackSignals(l.snapshot, l.req.category), l.config.scoreWeights),
  );
  const shortlist = candidates.filter((c) => !l.excluded.has(c.item_id) && l.fromAllowedSource(c)).slice(0, l.req.limit * 4 + 20);
  let records: Map<string, EdgeItemRecord> = new Map(Object.entries(l.snapshot?.records ?? {}));
  let recordsKnown = l.snapshot !== null;
  if (l.signals) {
    try {
      const ids = [...new Set([...shortlist.map((c) => c.item_id), ...l.anchors.map((a) => a.item_id)])];
      records = await l.timing.measure("catalog", () => readItemRecords(l.redis, ids));
      recordsKnown = true;
    } catch (err) {
      l.degraded.push("catalog");
      logStage("catalog", err);
    }
  }
  const final = applyRules(shortlist, {
    excluded: l.excluded,
    records,
    recordsKnown,
    category: l.req.category,
    limit: l.req.limit,
    maxCategoryShare: l.config.maxCategoryShare,
  });
  return { model_version: HEURISTIC_MODEL_VERSION, items: final.map((c) => toItem(c, records)), ranked: false };
}

async function assignment(
  env: Env,
  req: RecsRequest,
  session: Awaited<ReturnType<typeof readSession>>,
  timing: Timing,
  degraded: string[],
): Promise<AssignedVariant | null> {
  if (!req.experiment) return null;
  try {
    return await timing.measure("experiment", () => assignExperiment(env, req.userId, session, req.experiment!, () => timing.trip()));
  } catch (err) {
    degraded.push("experiment");
    logStage("experiment", err);
    return null;
  }
}

/**
 * The model a variant asks for (`heuristic-v1` for none), else the active one. A variant
 * version that cannot be served yet falls back to the active one, named in `degraded`.
 */
async function modelFor(
  env: Env,
  version: string | undefined,
  active: LoadedModel | null,
  now: number,
  timing: Timing,
  degraded: string[],
): Promise<LoadedModel | null> {
  if (version === undefined || version === active?.version) return active;
  if (version === HEURISTIC_MODEL_VERSION) return null;
  const loaded = await timing.measure("variant_model", () => variantModel(env, version, now));
  if (!loaded) degraded.push("experiment_model");
  return loaded ?? active;
}

/**
 * The active version, or null (heuristic); a failing model store never fails the request.
 * Only an isolate's very first load is awaited, and only for MODEL_LOAD_BUDGET_MS: a slow
 * cold start serves the heuristic while the load finishes in the background.
 */
async function activeModel(env: Env, now: number, background: (p: Promise<unknown>) => void, degraded: string[]): Promise<LoadedModel | null> {
  const load = getActiveModel(env, now, background);
  try {
    return await withBudget(load, MODEL_LOAD_BUDGET_MS);
  } catch (err) {
    background(load.catch(() => null));
    degraded.push("model");
    logStage("model", err);
    return null;
  }
}

function toItem(c: Candidate, records: ReadonlyMap<string, EdgeItemRecord>): RecItem {
  const rec = records.get(c.item_id);
  const item: RecItem = {
    item_id: c.item_id,
    score: Math.round(c.score * 1e6) / 1e6,
    sources: c.sources,
    reason: reasonText(c.reason, records),
  };
  if (rec) {
    item.title = rec.title;
    item.category = rec.category;
  }
  return item;
}

function fallbackSignals(snapshot: Awaited<ReturnType<typeof loadSnapshot>>, category: string | null): ServingSignals {
  const inCategory = ([id]: [string, number]) => category === null || snapshot?.records[id]?.category === category;
  return {
    coView: new Map(),
    coPurchase: new Map(),
    trending: (snapshot?.trending ?? []).filter(inCategory),
    popular: (snapshot?.popular ?? []).filter(inCategory),
  };
}

async function refreshSnapshot(env: Env, signals: ServingSignals, now: number): Promise<void> {
  try {
    const ids = [...new Set([...signals.trending, ...signals.popular].map(([id]) => id))];
    const records = await readItemRecords(redisClient(env, 2_000), ids);
    await storeSnapshot(env, { at: now, trending: signals.trending, popular: signals.popular, records: Object.fromEntries(records) });
  } catch (err) {
    logStage("popular_snapshot", err);
  }
}

function logStage(stage: string, err: unknown): void {
  console.warn(JSON.stringify({ level: "warn", msg: `${stage} degraded`, error: String(err) }));
}
