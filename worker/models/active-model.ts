/**
 * The model this isolate serves: follows the KV pointer (model:active), loads a newly
 * named version in the background and swaps it in only once it is verified and warm, so
 * requests never wait for a new version and never see a half-loaded one.
 *
 *  - The pointer is re-read every POINTER_TTL_MS, so a flip reaches a warm isolate within
 *    seconds (plus KV's own edge cache, at its 30 s minimum, in production).
 *  - Only an isolate with no model at all awaits a load (cold start); everyone else keeps
 *    getting the previous model at once.
 *  - A version that fails to load (missing file, checksum, schema, ONNX, warm-up) is logged
 *    once and not retried for BAD_VERSION_TTL_MS, so a broken publish cannot make every
 *    request hammer R2; the last good version (or null: the heuristic) keeps serving.
 *  - A replaced version's sessions are released RETIRE_GRACE_MS after the swap, by the
 *    next call after that, never under a request that picked the model up before the
 *    swap. (Timers are not used: in workerd they die with the request that set them.)
 */
import { ACTIVE_POINTER_KEY, ActivePointerSchema, type ActivePointer } from "../../models/model-manifest.js";
import type { Env } from "../env.js";
import { dropSession } from "../onnx/ort-runtime.js";
import type { SigningEnv } from "./signing-keys.js";
import { loadModelVersion, ModelLoadError, sessionKeysOf, type LoadedModel } from "./load-version.js";

export { foldIn, rankScores, retrieve, type HistoryEntry, type Retrieval } from "./inference.js";
export { ModelLoadError, type LoadedModel, type Neighbours } from "./load-version.js";

export const POINTER_TTL_MS = 5_000;
export const BAD_VERSION_TTL_MS = 60_000;
export const RETIRE_GRACE_MS = 30_000;
/** KV's minimum edge cache time (default 60 s): the shortest way for a flip to reach other locations. */
const KV_CACHE_TTL_SECONDS = 30;

export type ModelStoreEnv = Pick<Env, "CONFIG" | "ARTIFACTS"> & SigningEnv;

interface PointerCache {
  at: number;
  value: ActivePointer | null;
  /** False after a failed or unparseable read: keep serving what is loaded. */
  readable: boolean;
}

let generation = 0;
let current: LoadedModel | null = null;
let pointer: PointerCache | null = null;
const loads = new Map<string, Promise<LoadedModel | null>>();
const badUntil = new Map<string, number>();
let retired: Array<{ model: LoadedModel; dropAt: number }> = [];

const identity = (version: string, manifestSha256: string) => `${version}@${manifestSha256}`;
const identityOf = (m: LoadedModel) => identity(m.version, m.manifestSha256);

function warn(msg: string, fields: Record<string, unknown>): void {
  console.warn(JSON.stringify({ level: "warn", msg, ...fields }));
}

/** Sessions a failed load or a reap must not release: they serve, or may again. */
function inUse(key: string): boolean {
  const live = [current, ...retired.map((r) => r.model)].filter((m): m is LoadedModel => m !== null);
  return live.some((m) => sessionKeysOf(m).includes(key));
}

async function readPointer(env: ModelStoreEnv, now: number): Promise<PointerCache> {
  if (pointer && now - pointer.at < POINTER_TTL_MS) return pointer;
  const previous = pointer?.value ?? null;
  try {
    const raw = await env.CONFIG.get(ACTIVE_POINTER_KEY, { type: "text", cacheTtl: KV_CACHE_TTL_SECONDS });
    if (raw === null) {
      pointer = { at: now, value: null, readable: true };
    } else {
      const parsed = ActivePointerSchema.safeParse(JSON.parse(raw));
      if (!parsed.success) throw new Error(`invalid pointer: ${parsed.error.issues[0]?.message ?? "schema"}`);
      pointer = { at: now, value: parsed.data, readable: true };
    }
  } catch (err) {
    warn("active model pointer unreadable; keeping the loaded model", { key: ACTIVE_POINTER_KEY, error: String(err) });
    pointer = { at: now, value: previous, readable: false };
  }
  return pointer;
}

/** Makes `model` the served one; the one it replaces is retired, not released. */
function adopt(model: LoadedModel, now: number): LoadedModel {
  if (current && identityOf(current) === identityOf(model)) return current; // same sessions, loaded twice
  if (current) retired.push({ model: current, dropAt: now + RETIRE_GRACE_MS });
  // A version re-activated within its grace period shares those sessions: keep them.
  retired = retired.filter((r) => identityOf(r.model) !== identityOf(model));
  current = model;
  badUntil.delete(identityOf(model));
  return model;
}

/** Releases the sessions of a loaded model nobody serves (a trial that was not activated). */
export async function discardLoaded(model: LoadedModel): Promise<void> {
  await Promise.allSettled(
    sessionKeysOf(model)
      .filter((k) => !inUse(k))
      .map((k) => dropSession(k)),
  );
}

function reapRetired(now: number): void {
  const due = retired.filter((r) => r.dropAt <= now && !loads.has(identityOf(r.model)));
  if (due.length === 0) return;
  retired = retired.filter((r) => !due.includes(r));
  for (const r of due) void discardLoaded(r.model);
}

function startLoad(env: ModelStoreEnv, target: ActivePointer, now: number): Promise<LoadedModel | null> {
  const id = identity(target.version, target.manifest_sha256);
  const running = loads.get(id);
  if (running) return running;
  const gen = generation;
  const attempt = async (): Promise<LoadedModel | null> => {
    try {
      const model = await loadModelVersion(env.ARTIFACTS, target.version, { expectedManifestSha256: target.manifest_sha256, inUse, signingEnv: env });
      const stillWanted = pointer?.value && identity(pointer.value.version, pointer.value.manifest_sha256) === id;
      if (gen !== generation || !stillWanted) {
        // The pointer moved on while this loaded (or tests reset the store): never serve it.
        await discardLoaded(model);
        return current;
      }
      // The grace period runs from the swap, which may be well after the request that started the load.
      return adopt(model, Math.max(now, Date.now()));
    } catch (err) {
      if (gen !== generation) return current;
      badUntil.set(id, now + BAD_VERSION_TTL_MS);
      warn("model version failed to load; serving the previous one", {
        version: target.version,
        manifest_sha256: target.manifest_sha256,
        serving: current?.version ?? null,
        retry_in_ms: BAD_VERSION_TTL_MS,
        error: err instanceof ModelLoadError ? err.message : String(err),
      });
      return current;
    }
  };
  const load = attempt().finally(() => {
    if (loads.get(id) === load) loads.delete(id);
  });
  loads.set(id, load);
  return load;
}

/**
 * The model to serve, or null (no active version, or none loads: use the heuristic).
 * `background` receives a load that should outlive the request (pass
 * `ctx.waitUntil`); without it the load still runs, unanchored.
 */
export async function getActiveModel(env: ModelStoreEnv, now: number = Date.now(), background?: (p: Promise<unknown>) => void): Promise<LoadedModel | null> {
  reapRetired(now);
  const p = await readPointer(env, now);
  if (!p.readable) return current;
  if (!p.value) {
    // Deactivated: serve the heuristic; the old model's sessions go after the grace period.
    if (current) retired.push({ model: current, dropAt: now + RETIRE_GRACE_MS });
    current = null;
    return null;
  }
  const id = identity(p.value.version, p.value.manifest_sha256);
  if (current && identityOf(current) === id) return current;
  if ((badUntil.get(id) ?? 0) > now) return current;
  const load = startLoad(env, p.value, now);
  if (!current) return load;
  background?.(load);
  return current;
}

/**
 * Loads `version` as it is in R2 now, without touching what is served: the admin API's
 * check before it flips the pointer. Throws ModelLoadError with the reason.
 */
export function trialLoad(env: ModelStoreEnv, version: string): Promise<LoadedModel> {
  return loadModelVersion(env.ARTIFACTS, version, { inUse, signingEnv: env });
}

/** Serves a model that passed trialLoad and whose pointer was just written, without waiting for the pointer cache. */
export function activateLoaded(model: LoadedModel, active: ActivePointer, now: number = Date.now()): LoadedModel {
  pointer = { at: now, value: active, readable: true };
  return adopt(model, now);
}

export interface LoadedModelInfo {
  version: string;
  manifest_sha256: string;
  retrieval_path: string;
  loaded_at: string;
  memory_bytes: number;
}

/** What this isolate serves, for the admin API and health checks. */
export function loadedModelInfo(): LoadedModelInfo | null {
  if (!current) return null;
  return {
    version: current.version,
    manifest_sha256: current.manifestSha256,
    retrieval_path: current.manifest.retrieval.path,
    loaded_at: new Date(current.loadedAt).toISOString(),
    memory_bytes: current.memoryBytes,
  };
}

/** Tests only: forget everything and release every session this store holds. */
export async function resetActiveModelForTests(): Promise<void> {
  generation++;
  const models = [current, ...retired.map((r) => r.model)].filter((m): m is LoadedModel => m !== null);
  current = null;
  pointer = null;
  retired = [];
  loads.clear();
  badUntil.clear();
  await Promise.allSettled(models.flatMap(sessionKeysOf).map((k) => dropSession(k)));
}
