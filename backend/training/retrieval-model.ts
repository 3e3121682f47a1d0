/**
 * The retrieval component of a model version: iALS item factors plus what fold-in needs
 * (the strength scaling and the solve's λ and α). The edge folds users in with the ONNX
 * graph built from these factors; training and offline evaluation fold in here with the
 * exact Cholesky solve, which the graph is tested to match.
 */
import type { Interaction } from "../evaluation/interactions.js";
import { topK } from "../evaluation/top-k.js";
import { matrixFromInteractions } from "../evaluation/ials-recommender.js";
import { historyStrengths, type StrengthScaling } from "../../models/interaction-strength.js";
import type { HistoryEvent } from "../../models/feature-spec.js";
import { fitIals, foldInUser, itemGram, scoreItems, type IalsParams, type IalsProgress } from "./ials.js";

export interface RetrievalParams {
  ials: IalsParams;
  scaling: StrengthScaling;
}

/** The Online Retail validation grid's winner (backend/evaluation/README.md). */
export const DEFAULT_RETRIEVAL: RetrievalParams = {
  ials: { factors: 64, iterations: 15, regularization: 5, alpha: 1, cgSteps: 3, seed: 1, computeLoss: false },
  scaling: { kind: "log", epsilon: 10 },
};

export interface RetrievalModel {
  params: RetrievalParams;
  itemIds: string[];
  itemIndex: Map<string, number>;
  /** items × factors, row-major. */
  itemFactors: Float32Array;
  gram: Float64Array;
}

export function fitRetrieval(log: readonly Interaction[], params: RetrievalParams, onProgress?: (p: IalsProgress) => void): RetrievalModel {
  const matrix = matrixFromInteractions(
    log.filter((e) => e.weight > 0),
    params.scaling,
  );
  if (matrix.itemIds.length === 0) throw new RangeError("no positive interactions to train on");
  const model = fitIals(matrix, params.ials, onProgress);
  return {
    params,
    itemIds: matrix.itemIds,
    itemIndex: matrix.itemIndex,
    itemFactors: model.itemFactors,
    gram: itemGram(model.itemFactors, params.ials.factors),
  };
}

/** The user's vector from their history, or null when no history item is known to the model. */
export function foldIn(model: RetrievalModel, history: readonly HistoryEvent[]): Float32Array | null {
  const entries = historyStrengths(history, model.itemIndex, model.params.scaling);
  if (entries.length === 0) return null;
  return foldInUser(
    model.itemFactors,
    entries.map((e) => ({ itemIndex: e.index, weight: e.strength })),
    model.params.ials,
    model.gram,
  );
}

export function allScores(model: RetrievalModel, userVector: Float32Array): Float32Array {
  return scoreItems(userVector, model.itemFactors);
}

/** Best `k` items by score, skipping `exclude`. */
export function topByScore(model: RetrievalModel, scores: Float32Array, k: number, exclude: ReadonlySet<string>): Array<[string, number]> {
  const rows = topK(identity(scores.length), scores.length, scores, k, (i) => !exclude.has(model.itemIds[i]!));
  return rows.map((i) => [model.itemIds[i]!, scores[i]!]);
}

let identityCache = new Int32Array(0);
function identity(n: number): Int32Array {
  if (identityCache.length < n) identityCache = Int32Array.from({ length: n }, (_, i) => i);
  return identityCache.subarray(0, n);
}
