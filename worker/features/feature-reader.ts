/**
 * Reads of the real-time features for serving, each one round trip: neighbours of the
 * user's recent items plus trending and popular lists in one pipeline, then the
 * catalog records of the candidates.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import type { EdgeItemRecord } from "../../models/catalog.js";
import { keys, type PopularityWindow } from "../../models/feature-keys.js";
import { liveEpochs, mergeEpochLists } from "./forward-decay.js";
import { parseItemRecord } from "./item-records.js";
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

export async function readServingSignals(
  redis: Redis,
  anchors: readonly string[],
  now: number,
  category: string | null,
): Promise<ServingSignals> {
  const p = redis.pipeline();
  for (const a of anchors) {
    p.zrange(keys.coView(a), 0, NEIGHBOURS_READ - 1, { rev: true, withScores: true });
    p.zrange(keys.coPurchase(a), 0, NEIGHBOURS_READ - 1, { rev: true, withScores: true });
  }
  const windows = [TRENDING_WINDOW, POPULAR_WINDOW] as const;
  for (const w of windows) queuePopular(p, w, now, category, POPULAR_READ);
  const res = await p.exec<unknown[]>();
  const coView = new Map<string, Scored>();
  const coPurchase = new Map<string, Scored>();
  anchors.forEach((a, i) => {
    coView.set(a, pairsFromFlat(res[2 * i]));
    coPurchase.set(a, pairsFromFlat(res[2 * i + 1]));
  });
  const base = anchors.length * 2;
  return {
    coView,
    coPurchase,
    trending: mergePopular(TRENDING_WINDOW, now, res.slice(base, base + 2), POPULAR_READ),
    popular: mergePopular(POPULAR_WINDOW, now, res.slice(base + 2, base + 4), POPULAR_READ),
  };
}

export async function readPopular(
  redis: Redis,
  window: PopularityWindow,
  now: number,
  category: string | null,
  limit: number,
): Promise<Scored> {
  const p = redis.pipeline();
  queuePopular(p, window, now, category, limit);
  return mergePopular(window, now, await p.exec<unknown[]>(), limit);
}

export async function readNeighbours(redis: Redis, key: string, limit: number): Promise<Scored> {
  return pairsFromFlat(await redis.zrange(key, 0, limit - 1, { rev: true, withScores: true }));
}

export async function readItemRecords(redis: Redis, ids: readonly string[]): Promise<Map<string, EdgeItemRecord>> {
  const out = new Map<string, EdgeItemRecord>();
  if (ids.length === 0) return out;
  const raw = await redis.mget<unknown[]>(...ids.map(keys.item));
  raw.forEach((r, i) => {
    const rec = parseItemRecord(r);
    if (rec) out.set(ids[i]!, rec);
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
