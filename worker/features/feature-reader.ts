/**
 * Reads of the real-time features for serving, each one round trip: neighbours of the
 * user's recent items, trending and popular lists, the user's trained history and, when
 * due, the catalog's recent changes in one pipeline; then the catalog records of the
 * candidates that neither the version's snapshot nor the isolate's cache holds.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import type { EdgeItemRecord } from "../../models/catalog.js";
import { keys, type PopularityWindow } from "../../models/feature-keys.js";
import { liveEpochs, mergeEpochLists } from "./forward-decay.js";
import { catalogPollDue, changedSince, overlay, queuePoll, resetCatalogOverlay, snapshotUsable, type CatalogSnapshot } from "./catalog-overlay.js";
import { IsolateCache } from "./isolate-cache.js";
import { parseItemRecord } from "./item-records.js";
import { decodeTrainedHistory, type TrainedItem } from "../../models/trained-history.js";
import { pairsFromFlat } from "./redis-client.js";

export type Scored = Array<[string, number]>;

export interface ServingSignals {
  coView: Map<string, Scored>;
  coPurchase: Map<string, Scored>;
  trending: Scored;
  popular: Scored;
}

export const NEIGHBOURS_READ = 50;
export const POPULAR_READ = 100;
export const TRENDING_WINDOW: PopularityWindow = "24h";
export const POPULAR_WINDOW: PopularityWindow = "7d";

/** Popularity moves slowly: an isolate re-reads a list at most this often. */
export const POPULAR_TTL_MS = 5_000;
/** Catalog records (title, category, availability) are re-read at most this often. */
export const RECORD_TTL_MS = 30_000;

const popularCache = new IsolateCache<Scored>(POPULAR_TTL_MS, 1_000);
const recordCache = new IsolateCache<EdgeItemRecord | null>(RECORD_TTL_MS, 50_000);

/** For tests: behave like a fresh isolate. */
export function resetFeatureCaches(): void {
  popularCache.clear();
  recordCache.clear();
  resetCatalogOverlay();
}

export interface RequestFeatures {
  signals: ServingSignals;
  /** The user's items as the model was trained on them, when asked for; [] otherwise or for a user training did not see. */
  trained: TrainedItem[];
}

/** What one list needs from Redis before its candidates are known. */
export interface FeatureAsk {
  anchors: readonly string[];
  category: string | null;
  /** Whose trained history to read; null: the user's consent is not known to be given, so it is not read. */
  trainedHistoryOf: string | null;
}

/**
 * Everything the lists read from Redis before their candidates are known, in one
 * pipeline: the anchors' co-view and co-purchase lists, the popularity lists the
 * isolate's cache does not hold, and each consenting user's trained history. One ask for
 * a single request, many for a bulk call's chunk; each key is read once however many
 * lists share it (an anchor two users both viewed, a category's popularity, a user
 * listed twice).
 */
export async function readFeaturesFor(redis: Redis, asks: readonly FeatureAsk[], now: number): Promise<RequestFeatures[]> {
  const anchors = [...new Set(asks.flatMap((a) => a.anchors))];
  const histories = [...new Set(asks.flatMap((a) => (a.trainedHistoryOf === null ? [] : [a.trainedHistoryOf])))];
  const popular = new Map<string, Scored>();
  const missing: Array<{ window: PopularityWindow; category: string | null }> = [];
  for (const category of new Set(asks.map((a) => a.category))) {
    for (const window of [TRENDING_WINDOW, POPULAR_WINDOW]) {
      const hit = popularCache.get(popularKey(window, category), now);
      if (hit === undefined) missing.push({ window, category });
      else popular.set(popularKey(window, category), hit);
    }
  }
  const coView = new Map<string, Scored>();
  const coPurchase = new Map<string, Scored>();
  const trained = new Map<string, TrainedItem[]>();
  const pollDue = catalogPollDue(now);
  if (anchors.length > 0 || missing.length > 0 || histories.length > 0 || pollDue) {
    const p = redis.pipeline();
    for (const a of anchors) {
      p.zrange(keys.coView(a), 0, NEIGHBOURS_READ - 1, { rev: true, withScores: true });
      p.zrange(keys.coPurchase(a), 0, NEIGHBOURS_READ - 1, { rev: true, withScores: true });
    }
    for (const m of missing) queuePopular(p, m.window, now, m.category, POPULAR_READ);
    for (const user of histories) p.get(keys.trainedHistory(user));
    const applyPoll = pollDue ? queuePoll(p, now) : null;
    const res = await p.exec<unknown[]>();
    anchors.forEach((a, i) => {
      coView.set(a, pairsFromFlat(res[2 * i]));
      coPurchase.set(a, pairsFromFlat(res[2 * i + 1]));
    });
    missing.forEach((m, j) => {
      const base = anchors.length * 2 + j * 2;
      const list = mergePopular(m.window, now, res.slice(base, base + 2), POPULAR_READ);
      popularCache.set(popularKey(m.window, m.category), list, now);
      popular.set(popularKey(m.window, m.category), list);
    });
    const historyBase = anchors.length * 2 + missing.length * 2;
    histories.forEach((user, k) => trained.set(user, decodeTrainedHistory(res[historyBase + k] as string | null)));
    // A record that changed may sit in the cache from before: the next read takes it live.
    if (applyPoll) for (const id of applyPoll(res.slice(historyBase + histories.length))) recordCache.delete(id);
  }
  return asks.map((a) => ({
    signals: {
      coView: new Map(a.anchors.map((id) => [id, coView.get(id) ?? []])),
      coPurchase: new Map(a.anchors.map((id) => [id, coPurchase.get(id) ?? []])),
      trending: popular.get(popularKey(TRENDING_WINDOW, a.category)) ?? [],
      popular: popular.get(popularKey(POPULAR_WINDOW, a.category)) ?? [],
    },
    trained: a.trainedHistoryOf === null ? [] : (trained.get(a.trainedHistoryOf) ?? []),
  }));
}

function popularKey(window: PopularityWindow, category: string | null): string {
  return `${window}\u0000${category ?? ""}`;
}

export async function readPopular(redis: Redis, window: PopularityWindow, now: number, category: string | null, limit: number): Promise<Scored> {
  const p = redis.pipeline();
  queuePopular(p, window, now, category, limit);
  return mergePopular(window, now, await p.exec<unknown[]>(), limit);
}

export async function readNeighbours(redis: Redis, key: string, limit: number): Promise<Scored> {
  return pairsFromFlat(await redis.zrange(key, 0, limit - 1, { rev: true, withScores: true }));
}

/**
 * The records of `ids`: from the version's catalog snapshot where the overlay says the
 * record has not changed since (catalog-overlay.ts), else from the isolate's cache, else
 * in one MGET.
 */
export async function readItemRecords(
  redis: Redis,
  ids: readonly string[],
  now = Date.now(),
  snapshot: CatalogSnapshot | null = null,
): Promise<Map<string, EdgeItemRecord>> {
  const out = new Map<string, EdgeItemRecord>();
  const missing: string[] = [];
  const o = overlay();
  const fromSnapshot = snapshot !== null && snapshotUsable(o, snapshot) ? snapshot : null;
  for (const id of ids) {
    if (fromSnapshot && !changedSince(o, id, fromSnapshot.takenAt)) {
      const rec = fromSnapshot.records.get(id);
      if (rec) out.set(id, rec);
      continue;
    }
    const hit = recordCache.get(id, now);
    if (hit === undefined) missing.push(id);
    else if (hit) out.set(id, hit);
  }
  if (missing.length === 0) return out;
  const raw = await redis.mget<unknown[]>(...missing.map(keys.item));
  missing.forEach((id, i) => {
    const rec = parseItemRecord(raw[i]);
    recordCache.set(id, rec, now);
    if (rec) out.set(id, rec);
  });
  return out;
}

type Pipe = ReturnType<Redis["pipeline"]>;

function queuePopular(p: Pipe, window: PopularityWindow, now: number, category: string | null, limit: number): void {
  for (const epoch of liveEpochs(window, now)) {
    p.zrange(keys.popularity(window, epoch, category), 0, limit - 1, { rev: true, withScores: true });
  }
}

function mergePopular(window: PopularityWindow, now: number, flat: unknown[], limit: number): Scored {
  const [current, previous] = liveEpochs(window, now);
  return mergeEpochLists(
    window,
    now,
    [
      { epoch: current, entries: pairsFromFlat(flat[0]) },
      { epoch: previous, entries: pairsFromFlat(flat[1]) },
    ],
    limit,
  );
}
