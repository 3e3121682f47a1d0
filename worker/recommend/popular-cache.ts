/**
 * The last good trending and popular lists, kept so the edge can still answer when
 * Redis is unreachable: in isolate memory (refreshed at most once a minute) and in KV
 * (refreshed at most every five minutes, within KV's write limits), which a fresh
 * isolate reads when Redis is down at its first request.
 */
import type { EdgeItemRecord } from "../../models/catalog.js";
import type { Env } from "../env.js";
import type { Scored } from "../features/feature-reader.js";

export interface PopularSnapshot {
  at: number;
  trending: Scored;
  popular: Scored;
  records: Record<string, EdgeItemRecord>;
}

export const POPULAR_KV_KEY = "fallback:popular";
const MEMORY_REFRESH_MS = 60_000;
const KV_REFRESH_MS = 5 * 60_000;

let memory: PopularSnapshot | null = null;
let lastKvWrite = 0;

export function needsRefresh(now: number): boolean {
  return !memory || now - memory.at > MEMORY_REFRESH_MS;
}

export async function storeSnapshot(env: Env, snapshot: PopularSnapshot): Promise<void> {
  if (snapshot.popular.length === 0 && snapshot.trending.length === 0) return;
  memory = snapshot;
  if (snapshot.at - lastKvWrite < KV_REFRESH_MS) return;
  lastKvWrite = snapshot.at;
  await env.CONFIG.put(POPULAR_KV_KEY, JSON.stringify(snapshot));
}

export async function loadSnapshot(env: Env): Promise<PopularSnapshot | null> {
  if (memory) return memory;
  try {
    const fromKv = await env.CONFIG.get<PopularSnapshot>(POPULAR_KV_KEY, "json");
    if (fromKv && Array.isArray(fromKv.popular)) memory = fromKv;
  } catch {
    // KV unreadable too: the caller answers with what it has and says so in `degraded`.
  }
  return memory;
}

/** For tests: forget the isolate's copy. */
export function resetPopularMemory(): void {
  memory = null;
  lastKvWrite = 0;
}
