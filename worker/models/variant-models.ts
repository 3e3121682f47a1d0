/**
 * Model versions an experiment variant asks for by name, next to the active one. Each is
 * loaded (verified, warmed) once per isolate and kept while experiments use it; at most
 * MAX_VARIANT_VERSIONS stay loaded, because every version holds its own WASM memory. A
 * version that fails to load is retried after BAD_VERSION_TTL_MS; meanwhile the caller
 * serves the active version and says so in `degraded`.
 */

import { BAD_VERSION_TTL_MS, discardLoaded, trialLoad, type LoadedModel, type ModelStoreEnv } from "./active-model.js";

export const MAX_VARIANT_VERSIONS = 2;
/** A first load beyond this serves the active version meanwhile. */
export const VARIANT_LOAD_BUDGET_MS = 2_500;

interface Entry {
  load: Promise<LoadedModel>;
  usedAt: number;
  failedAt?: number;
}

const versions = new Map<string, Entry>();
/** Evicted versions, released on a later call (workerd timers die with their request). */
let retired: Array<{ entry: Entry; dropAt: number }> = [];
const RETIRE_GRACE_MS = 30_000;

function evictOldest(now: number): void {
  while (versions.size > MAX_VARIANT_VERSIONS) {
    const [oldest] = [...versions].sort((a, b) => a[1].usedAt - b[1].usedAt);
    if (!oldest) return;
    versions.delete(oldest[0]);
    retired.push({ entry: oldest[1], dropAt: now + RETIRE_GRACE_MS });
  }
}

function reapRetired(now: number): void {
  const due = retired.filter((r) => r.dropAt <= now);
  retired = retired.filter((r) => r.dropAt > now);
  for (const r of due) void r.entry.load.then(discardLoaded, () => undefined);
}

function entryFor(env: ModelStoreEnv, version: string, now: number): Entry {
  reapRetired(now);
  let entry = versions.get(version);
  if (entry?.failedAt !== undefined && now - entry.failedAt > BAD_VERSION_TTL_MS) entry = undefined;
  if (!entry) {
    const created: Entry = { load: trialLoad(env, version), usedAt: now };
    created.load.catch((err: unknown) => {
      created.failedAt = Date.now();
      console.warn(JSON.stringify({ level: "warn", msg: "variant model failed to load", version, error: String(err) }));
    });
    versions.set(version, created);
    evictOldest(now);
    entry = created;
  }
  entry.usedAt = now;
  return entry;
}

/** The loaded version, or null when it cannot be served now (loading, failed). */
export async function variantModel(env: ModelStoreEnv, version: string, now = Date.now()): Promise<LoadedModel | null> {
  const entry = entryFor(env, version, now);
  if (entry.failedAt !== undefined) return null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), VARIANT_LOAD_BUDGET_MS)));
  try {
    return await Promise.race([entry.load.catch(() => null), timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export async function resetVariantModelsForTests(): Promise<void> {
  const all = [...versions.values(), ...retired.map((r) => r.entry)];
  versions.clear();
  retired = [];
  await Promise.allSettled(all.map((e) => e.load.then(discardLoaded)));
}
