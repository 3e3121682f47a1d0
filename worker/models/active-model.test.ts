/**
 * The per-isolate model store against real R2/KV and real onnxruntime-web sessions:
 * versions are written straight into storage (as a publisher could) and the pointer is
 * flipped in KV, with `now` moved by hand to cross the cache and grace periods.
 * Expected numbers are worked out in test-support/model-artifacts.ts.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ACTIVE_POINTER_KEY, artifactKey } from "../../models/model-manifest.js";
import { uniq } from "../test-support/fixtures.js";
import {
  buildTestVersion,
  countRuns,
  expectV1,
  expectV2,
  FIRST_SEEN_A,
  RANKER_CASES,
  storeVersion,
  V1_FACTORS,
  V2_FACTORS,
  writePointer,
  type TestVersion,
} from "../test-support/model-artifacts.js";
import {
  BAD_VERSION_TTL_MS,
  foldIn,
  getActiveModel,
  loadedModelInfo,
  POINTER_TTL_MS,
  rankScores,
  resetActiveModelForTests,
  retrieve,
  RETIRE_GRACE_MS,
  type LoadedModel,
} from "./active-model.js";

async function publish(v: TestVersion): Promise<string> {
  const sha = await storeVersion(v);
  await writePointer(v.version, sha);
  return sha;
}

/** Loads v1 as a cold start at `t0`. */
async function serveV1(t0: number): Promise<LoadedModel> {
  await publish(await buildTestVersion(uniq("v1"), V1_FACTORS));
  const m = await getActiveModel(env, t0);
  if (!m) throw new Error("v1 did not load");
  return m;
}

/** Calls getActiveModel at `now`, collecting any background load. */
async function activeAt(now: number): Promise<{ model: LoadedModel | null; loads: Array<Promise<unknown>> }> {
  const loads: Array<Promise<unknown>> = [];
  const model = await getActiveModel(env, now, (p) => loads.push(p));
  return { model, loads };
}

let warnings: string[];
beforeEach(async () => {
  await resetActiveModelForTests();
  await env.CONFIG.delete(ACTIVE_POINTER_KEY);
  warnings = [];
  vi.spyOn(console, "warn").mockImplementation((line: string) => void warnings.push(line));
});
afterEach(() => vi.restoreAllMocks());

describe("getActiveModel", () => {
  it("serves nothing without a pointer, so the caller uses the heuristic", async () => {
    expect(await getActiveModel(env)).toBeNull();
    expect(loadedModelInfo()).toBeNull();
  });

  it("loads the pointer's version on a cold start: maps, retrieval and ranker give the hand-computed numbers", async () => {
    const v = await buildTestVersion(uniq("v1"), V1_FACTORS);
    const sha = await publish(v);
    const m = (await getActiveModel(env))!;
    expect(m.version).toBe(v.version);
    expect(m.manifestSha256).toBe(sha);
    expect(m.items).toEqual(["a", "b", "c"]);
    expect(m.itemIndex.get("c")).toBe(2);
    expect(m.firstSeen).toEqual(new Map([["a", FIRST_SEEN_A]]));
    expect(m.similar.get("a")).toEqual([
      ["b", 0.5],
      ["c", 0.25],
    ]);
    expect(m.boughtTogether.get("b")).toEqual([["c", 0.75]]);
    expect(m.foldIn).toBeNull();
    await expectV1(m);
    const r = await retrieve(m, [{ index: 1, strength: 1 }], []);
    expect(r.userVector[0]).toBeCloseTo(4 / 11, 6);

    const scores = await rankScores(m, Float32Array.from(RANKER_CASES.flatMap((c) => c.row)), RANKER_CASES.length);
    expect([...scores]).toEqual(RANKER_CASES.map((c) => c.score));

    const artifactBytes = v.files.reduce((s, f) => s + f.bytes.length, 0);
    const info = loadedModelInfo()!;
    expect(info).toMatchObject({ version: v.version, manifest_sha256: sha, retrieval_path: "in_process" });
    expect(info.memory_bytes).toBeGreaterThan(artifactBytes);
    expect(Date.parse(info.loaded_at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("serves a version trained before item_scores (its graph outputs every score) with the same numbers", async () => {
    await publish(await buildTestVersion(uniq("legacy"), V1_FACTORS, { allScoresOutput: true }));
    const m = (await getActiveModel(env))!;
    expect(m.retrieval!.inputNames).not.toContain("score_items");
    await expectV1(m);
  });

  it("refuses serving inputs the graphs would misread", async () => {
    const m = await serveV1(Date.now());
    await expect(retrieve(m, [{ index: 3, strength: 1 }], [])).rejects.toThrow(/outside the item table/);
    await expect(retrieve(m, [], [])).rejects.toThrow(/at least one/);
    await expect(retrieve(m, [{ index: 0, strength: Number.NaN }], [])).rejects.toThrow(/not finite/);
    await expect(retrieve(m, [{ index: 0, strength: 1 }], [3])).rejects.toThrow(/scored row 3 is outside the item table/);
    await expect(rankScores(m, new Float32Array(3), 2)).rejects.toThrow(/expected rows \(2\) × features \(\d+\)/);
  });

  it("keeps serving v1 while v2 loads, swaps only once v2 is warm, and releases v1 after the grace period", async () => {
    const t0 = Date.now();
    const m1 = await serveV1(t0);
    const v2 = await buildTestVersion(uniq("v2"), V2_FACTORS);
    await publish(v2);

    // Within the pointer cache's lifetime the flip is not seen yet.
    expect((await activeAt(t0 + POINTER_TTL_MS - 1)).model).toBe(m1);

    const t1 = t0 + POINTER_TTL_MS;
    const runs = countRuns(m1.retrieval!);
    const first = await activeAt(t1);
    expect(first.model).toBe(m1);
    expect(first.loads).toHaveLength(1);
    // A second request during the load gets v1 at once and joins the same load.
    const second = await activeAt(t1 + 1);
    expect(second.model).toBe(m1);
    expect(second.loads[0]).toBe(first.loads[0]);
    await expectV1(m1);

    await first.loads[0];
    const m2 = (await activeAt(t1 + 2)).model!;
    expect(m2.version).toBe(v2.version);
    // Each graph ran once, on the warm-up input, before the first request could get it.
    expect([runs(m2.retrieval), runs(m2.ranker)]).toEqual([1, 1]);
    await expectV2(m2);
    expect(loadedModelInfo()?.version).toBe(v2.version);

    // A request that picked v1 up before the swap can still finish within the grace period…
    expect((await activeAt(t1 + RETIRE_GRACE_MS - 1)).model).toBe(m2);
    await expectV1(m1);
    // …after it, v1's sessions are released.
    expect((await activeAt(t1 + RETIRE_GRACE_MS + 3)).model).toBe(m2);
    await new Promise((r) => setTimeout(r, 10));
    await expect(retrieve(m1, [{ index: 1, strength: 1 }], [])).rejects.toThrow();
    await expectV2(m2);
  });

  it("never swaps in a version whose warm-up run fails, logs once, and retries only after the bad-version period", async () => {
    const t0 = Date.now();
    const m1 = await serveV1(t0);
    // The ranker graph takes 3 features, the edge computes more: it loads, and fails on its first run.
    const bad = await buildTestVersion(uniq("v-bad"), V2_FACTORS, { rankerFeatures: 3 });
    await publish(bad);

    const t1 = t0 + POINTER_TTL_MS;
    const attempt = await activeAt(t1);
    expect(attempt.model).toBe(m1);
    await Promise.all(attempt.loads);
    expect((await activeAt(t1 + 1)).model).toBe(m1);
    await expectV1(m1);
    expect(warnings).toHaveLength(1);
    const line = JSON.parse(warnings[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "warn", version: bad.version, serving: m1.version });
    expect(line.error).toMatch(/warm-up/);

    // Later requests neither wait nor reload it until the bad-version period is over.
    const during = await activeAt(t1 + POINTER_TTL_MS + 1);
    expect(during).toEqual({ model: m1, loads: [] });
    const after = await activeAt(t1 + BAD_VERSION_TTL_MS + POINTER_TTL_MS);
    expect(after.model).toBe(m1);
    expect(after.loads).toHaveLength(1);
    await Promise.all(after.loads);
    expect(warnings).toHaveLength(2);
  });

  it("refuses a file changed in R2 and a manifest that is not the pointer's, keeping the last good version", async () => {
    const t0 = Date.now();
    const m1 = await serveV1(t0);
    const v = await buildTestVersion(uniq("v-corrupt"), V2_FACTORS);
    const sha = await publish(v);
    await env.ARTIFACTS.put(artifactKey(v.version, "retrieval.onnx"), v.files[0]!.bytes.slice(0, -1));
    const a = await activeAt(t0 + POINTER_TTL_MS);
    await Promise.all(a.loads);
    expect((await activeAt(t0 + POINTER_TTL_MS + 1)).model).toBe(m1);
    expect(JSON.parse(warnings[0]!).error).toMatch(/retrieval\.onnx has \d+ bytes, expected/);

    const other = await buildTestVersion(uniq("v-other"), V2_FACTORS);
    await storeVersion(other);
    await writePointer(other.version, sha); // the hash of a different manifest
    const b = await activeAt(t0 + 2 * POINTER_TTL_MS);
    await Promise.all(b.loads);
    expect((await activeAt(t0 + 2 * POINTER_TTL_MS + 1)).model).toBe(m1);
    expect(JSON.parse(warnings[1]!).error).toMatch(/manifest\.json has sha256 \w+, but the active pointer names/);
    await expectV1(m1);
  });

  it("answers null on a cold start with a broken version, then loads a good one once the pointer moves", async () => {
    const t0 = Date.now();
    const v = await buildTestVersion(uniq("v-missing"), V1_FACTORS);
    await publish(v);
    await env.ARTIFACTS.delete(artifactKey(v.version, "items.json"));
    expect(await getActiveModel(env, t0)).toBeNull();
    expect(JSON.parse(warnings[0]!).error).toMatch(/items\.json is missing/);
    expect(await getActiveModel(env, t0 + POINTER_TTL_MS)).toBeNull(); // remembered as bad: no reload

    const good = await buildTestVersion(uniq("v1"), V1_FACTORS);
    await publish(good);
    const m = await getActiveModel(env, t0 + 2 * POINTER_TTL_MS);
    expect(m?.version).toBe(good.version);
  });

  it("keeps the loaded model when the pointer is unreadable, and drops to null when it is deleted", async () => {
    const t0 = Date.now();
    const m1 = await serveV1(t0);
    await env.CONFIG.put(ACTIVE_POINTER_KEY, "{not json");
    expect(await getActiveModel(env, t0 + POINTER_TTL_MS)).toBe(m1);
    expect(warnings).toHaveLength(1);
    await env.CONFIG.delete(ACTIVE_POINTER_KEY);
    expect(await getActiveModel(env, t0 + 2 * POINTER_TTL_MS)).toBeNull();
    // Deactivation retires the model like a swap: a request still holding it may finish.
    await expectV1(m1);
  });

  it("folds a history in for the vector-store path", async () => {
    const v = await buildTestVersion(uniq("v-vs"), V1_FACTORS, { path: "vector_store", ranker: false });
    await publish(v);
    const m = (await getActiveModel(env))!;
    expect(m.retrieval).toBeNull();
    expect(m.ranker).toBeNull();
    // History: item b (y = 2) at strength 1, its vector as the store would return it.
    const x = await foldIn(m, Float32Array.of(2), [1]);
    expect(x[0]).toBeCloseTo(4 / 11, 6);
    await expect(retrieve(m, [{ index: 1, strength: 1 }], [])).rejects.toThrow(/no in-process retrieval graph/);
  });
});
