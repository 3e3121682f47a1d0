/**
 * The fold-in graphs against a hand-computed case and against the backend's exact
 * Cholesky fold-in (backend/training/ials.ts), run by onnxruntime-node on factors from a
 * real iALS fit: the edge's user vector must be the one training would have solved for.
 */
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { clusteredLog, mulberry32 } from "../../backend/evaluation/synthetic.js";
import { matrixFromInteractions } from "../../backend/evaluation/ials-recommender.js";
import { fitIals, foldInUser, scoreItems } from "../../backend/training/ials.js";
import {
  buildFoldInGraph,
  buildFoldInRetrievalGraph,
  HISTORY_FACTORS,
  HISTORY_ITEMS,
  HISTORY_STRENGTH,
  ITEM_SCORES,
  RETRIEVAL_INDICES,
  RETRIEVAL_SCORES,
  SCORE_ITEMS,
  USER_VECTOR,
} from "./retrieval-graph.js";

type History = Array<{ itemIndex: number; weight: number }>;

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, number[]>> {
  const session = await ort.InferenceSession.create(model);
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data as ArrayLike<number | bigint>, Number)]));
  } finally {
    await session.release();
  }
}

/** `scored`: the rows whose scores item_scores returns (row 0 by default). */
function historyFeeds(h: History, scored: number[] = [0]): Record<string, ort.Tensor> {
  return {
    [SCORE_ITEMS]: new ort.Tensor("int64", BigInt64Array.from(scored.map(BigInt)), [scored.length]),
    [HISTORY_ITEMS]: new ort.Tensor("int64", BigInt64Array.from(h.map((e) => BigInt(e.itemIndex))), [h.length]),
    [HISTORY_STRENGTH]: new ort.Tensor("float32", Float32Array.from(h.map((e) => e.weight)), [h.length]),
  };
}

describe("buildFoldInRetrievalGraph", () => {
  it("solves a one-factor case by hand", async () => {
    // Items y = [1, 2], λ = 1, α = 1, history: item 1 with r = 1.
    // A = YᵀY + λ + α·r·y₁² = (1 + 4) + 1 + 4 = 10;  b = (1 + α·r)·y₁ = 2·2 = 4;  x = 0.4.
    // Scores x·y = [0.4, 0.8] → top-1 is item 1.
    const model = buildFoldInRetrievalGraph(Float32Array.of(1, 2), { factors: 1, alpha: 1, regularization: 1, k: 1 });
    const out = await run(model, historyFeeds([{ itemIndex: 1, weight: 1 }], [1, 0, 1]));
    expect(out[USER_VECTOR]![0]).toBeCloseTo(0.4, 6);
    expect(out[ITEM_SCORES]).toHaveLength(3);
    expect(out[ITEM_SCORES]![0]).toBeCloseTo(0.8, 6);
    expect(out[ITEM_SCORES]![1]).toBeCloseTo(0.4, 6);
    expect(out[ITEM_SCORES]![2]).toBeCloseTo(0.8, 6);
    expect(out[RETRIEVAL_INDICES]).toEqual([1]);
    // Every item's score stays inside the runtime: copying n floats out per request is what item_scores avoids.
    expect(Object.keys(out).sort()).toEqual([ITEM_SCORES, RETRIEVAL_INDICES, RETRIEVAL_SCORES, USER_VECTOR].sort());
  });

  it("keeps the older layout on request: all_scores out, no score_items in", async () => {
    const model = buildFoldInRetrievalGraph(Float32Array.of(1, 2), { factors: 1, alpha: 1, regularization: 1, k: 1, allScoresOutput: true });
    const { [SCORE_ITEMS]: _, ...feeds } = historyFeeds([{ itemIndex: 1, weight: 1 }]);
    const out = await run(model, feeds);
    expect(out.all_scores!.map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0.4, 0.8]);
  });

  it("rejects bad parameters with the reason", () => {
    const y = Float32Array.of(1, 2, 3, 4);
    expect(() => buildFoldInRetrievalGraph(y, { factors: 2, alpha: 1, regularization: 0, k: 1 })).toThrow(/regularization/);
    expect(() => buildFoldInRetrievalGraph(y, { factors: 3, alpha: 1, regularization: 1, k: 1 })).toThrow(/multiple of factors/);
    expect(() => buildFoldInRetrievalGraph(y, { factors: 2, alpha: 1, regularization: 1, k: 3 })).toThrow(/must not exceed/);
    expect(() => buildFoldInRetrievalGraph(Float32Array.of(1, Number.NaN), { factors: 2, alpha: 1, regularization: 1, k: 1 })).toThrow(/not finite/);
  });

  describe("on a real iALS fit", () => {
    const params = { factors: 32, regularization: 5, alpha: 1 };
    let itemFactors: Float32Array;
    let items: number;
    beforeAll(() => {
      const m = matrixFromInteractions(clusteredLog({ seed: 3, clusters: 6, itemsPerCluster: 40, users: 600 }), { kind: "log", epsilon: 10 });
      itemFactors = fitIals(m, { ...params, iterations: 8, cgSteps: 3, seed: 1, computeLoss: false }).itemFactors;
      items = m.itemIds.length;
    });

    function randomHistory(rand: () => number, length: number): History {
      const seen = new Set<number>();
      while (seen.size < length) seen.add(Math.floor(rand() * items));
      return [...seen].map((itemIndex) => ({ itemIndex, weight: 0.2 + rand() * 3 }));
    }

    it("folds users in like the exact Cholesky solve and ranks like it (1, 5, 50 and 200 items of history)", async () => {
      const k = 50;
      const model = buildFoldInRetrievalGraph(itemFactors, { ...params, k });
      const rand = mulberry32(11);
      for (const length of [1, 5, 50, 200]) {
        const history = randomHistory(rand, length);
        const exact = foldInUser(itemFactors, history, params);
        const out = await run(
          model,
          historyFeeds(
            history,
            Array.from({ length: items }, (_, i) => i),
          ),
        );
        const norm = Math.hypot(...exact);
        const err = Math.hypot(...out[USER_VECTOR]!.map((v, i) => v - exact[i]!));
        expect(err / norm).toBeLessThan(1e-4);
        const expected = scoreItems(exact, itemFactors);
        const maxScore = Math.max(...expected.map(Math.abs));
        out[ITEM_SCORES]!.forEach((s, i) => expect(Math.abs(s - expected[i]!)).toBeLessThan(1e-4 * maxScore));
        // TopK agrees with the scores it was given.
        out[RETRIEVAL_INDICES]!.forEach((item, r) => expect(out[RETRIEVAL_SCORES]![r]).toBe(out[ITEM_SCORES]![item]));
      }
    });

    it("applies iALS's frequency-scaled λ (ν = 1) as the exact solve does", async () => {
      // 240 items: λ̄ = 0.02·240 = 4.8 for an empty history, and each user adds 0.02·αΣr.
      const scaled = { ...params, regularization: 0.02, regularizationExponent: 1 };
      const model = buildFoldInRetrievalGraph(itemFactors, { ...scaled, k: 10 });
      const constant = buildFoldInRetrievalGraph(itemFactors, { ...params, regularization: 4.8, k: 10 });
      const rand = mulberry32(17);
      for (const length of [1, 5, 50, 200]) {
        const history = randomHistory(rand, length);
        const exact = foldInUser(itemFactors, history, scaled);
        const out = await run(model, historyFeeds(history));
        const err = Math.hypot(...out[USER_VECTOR]!.map((v, i) => v - exact[i]!));
        expect(err / Math.hypot(...exact)).toBeLessThan(1e-4);
        // Not the constant-λ vector: the history's own weight raised its λ.
        const plain = await run(constant, historyFeeds(history));
        const gap = Math.hypot(...plain[USER_VECTOR]!.map((v, i) => v - exact[i]!));
        expect(gap / Math.hypot(...exact)).toBeGreaterThan(1e-3);
      }
    });

    it("gives the vector-store fold-in graph the same user vector from gathered factors", async () => {
      const history = randomHistory(mulberry32(5), 12);
      const full = await run(buildFoldInRetrievalGraph(itemFactors, { ...params, k: 5 }), historyFeeds(history));
      const gathered = new Float32Array(history.length * params.factors);
      history.forEach((e, r) => gathered.set(itemFactors.subarray(e.itemIndex * params.factors, (e.itemIndex + 1) * params.factors), r * params.factors));
      const alone = await run(buildFoldInGraph(itemFactors, params), {
        [HISTORY_FACTORS]: new ort.Tensor("float32", gathered, [history.length, params.factors]),
        [HISTORY_STRENGTH]: new ort.Tensor("float32", Float32Array.from(history.map((e) => e.weight)), [history.length]),
      });
      alone[USER_VECTOR]!.forEach((v, i) => expect(v).toBeCloseTo(full[USER_VECTOR]![i]!, 5));
    });
  });
});
