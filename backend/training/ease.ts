/**
 * EASE: Embarrassingly Shallow Autoencoder (Steck, "Embarrassingly Shallow Autoencoders
 * for Sparse Data", WWW 2019).
 *
 * An item–item weight matrix B, learned in closed form from the binary user × item
 * matrix X:
 *   minimise ‖X − XB‖²_F + λ‖B‖²_F  subject to diag(B) = 0,
 *   P = (XᵀX + λI)⁻¹,   Bᵢⱼ = −Pᵢⱼ / Pⱼⱼ (i ≠ j),   Bⱼⱼ = 0.
 * The closed form holds for any diagonal regulariser Λ in place of λI (the Lagrangian
 * argument of the paper does not use that Λ is a multiple of I). `dropout` p > 0 uses
 * the regulariser that dropout-denoising implies (Steck, "Autoencoders that don't
 * overfit towards the identity", NeurIPS 2020, DLAE): Λ = λI + p/(1−p)·diag(XᵀX), so
 * popular items are regularised more, which keeps them from dominating every list.
 * A user with history H scores item j as sⱼ = Σ_{i ∈ H} Bᵢⱼ: row sums of B over the
 * history, so serving is a gather-sum, and a user unseen at training time is served
 * exactly like a training user (no fold-in to solve).
 *
 * Choices:
 * - X is binary: an item the user touched positively is 1 however often. This is the
 *   paper's setting and the common top-N protocol's ("repeats count once").
 * - The cost is the dense n×n inverse: n³/2 multiply-adds and 8n² bytes (spd-inverse.ts).
 *   That bounds EASE to catalogs where the item–item matrix fits: 4,000 items take
 *   about 20 s and 128 MB here, 10,000 items would take ~5 min and 800 MB. Callers pick
 *   another model above `EASE_MAX_ITEMS`.
 * - B is kept as Float32 (half the memory; scores are sums of a few hundred weights,
 *   well inside float32's precision for ranking).
 */
import type { ItemWeights } from "../../models/item-weights.js";
import { invertSpdInPlace } from "./spd-inverse.js";

/** Largest catalog EASE is fitted on by default (dense n×n inverse; see the header). */
export const EASE_MAX_ITEMS = 6_000;

export interface EaseModel {
  readonly items: number;
  readonly lambda: number;
  /** B, row-major n×n: weights[i·n + j] is how much having item i says about item j. */
  readonly weights: Float32Array;
}

/** G = XᵀX for binary X given as each user's distinct item indices; λ + p/(1−p)·Gᵢᵢ added on the diagonal. */
export function regularisedItemGram(userItems: readonly ArrayLike<number>[], items: number, lambda: number, dropout = 0): Float64Array {
  const g = new Float64Array(items * items);
  for (const row of userItems) {
    for (let a = 0; a < row.length; a++) {
      const ia = row[a]! * items;
      for (let b = 0; b < row.length; b++) g[ia + row[b]!]! += 1;
    }
  }
  const emphasis = dropout / (1 - dropout);
  for (let i = 0; i < items; i++) g[i * items + i]! += lambda + emphasis * g[i * items + i]!;
  return g;
}

/**
 * Fits B. `userItems[u]` lists user u's distinct item indices in [0, items); duplicates
 * in a row would count twice, so callers pass sets.
 */
export function fitEase(userItems: readonly ArrayLike<number>[], items: number, lambda: number, dropout = 0): EaseModel {
  if (!(lambda > 0)) throw new RangeError(`EASE lambda must be > 0, got ${lambda}`);
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`EASE dropout must be in [0, 1), got ${dropout}`);
  if (!Number.isInteger(items) || items < 1) throw new RangeError(`EASE needs at least one item, got ${items}`);
  const p = regularisedItemGram(userItems, items, lambda, dropout);
  invertSpdInPlace(p, items);
  const weights = new Float32Array(items * items);
  for (let i = 0; i < items; i++) {
    const ii = i * items;
    for (let j = 0; j < items; j++) if (j !== i) weights[ii + j] = -p[ii + j]! / p[j * items + j]!;
  }
  return { items, lambda, weights };
}

/** out[j] = Σ_{i ∈ history} Bᵢⱼ. `out` has one entry per item and is overwritten. */
export function easeScores(model: EaseModel, history: ArrayLike<number>, out: Float64Array): Float64Array {
  const n = model.items;
  const w = model.weights;
  out.fill(0);
  for (let h = 0; h < history.length; h++) {
    const off = history[h]! * n;
    for (let j = 0; j < n; j++) out[j] = out[j]! + w[off + j]!;
  }
  return out;
}

/**
 * B pruned to each row's `keep` weights of largest magnitude, the table the edge serves
 * (models/item-weights.ts). Small weights are mostly noise: on Online Retail (protocol R,
 * λ = 200) NDCG@10 is 0.3016 with all of B and 0.3057 with the top 100 per row. Negative
 * weights are kept with the positive ones; dropping them cost 0.02 there. Rows with
 * fewer non-zero weights are padded with index −1.
 */
export function pruneEase(model: EaseModel, keep: number): ItemWeights {
  const n = model.items;
  const k = Math.min(keep, Math.max(0, n - 1));
  const indices = new Int32Array(n * k).fill(-1);
  const weights = new Float32Array(n * k);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = model.weights.subarray(i * n, (i + 1) * n);
    for (let j = 0; j < n; j++) order[j] = j;
    // A partial sort would be faster; a full one per row is ~0.5 s for 4,000 items.
    const best = Array.from(order)
      .filter((j) => row[j]! !== 0)
      .sort((a, b) => Math.abs(row[b]!) - Math.abs(row[a]!) || a - b)
      .slice(0, k);
    best.forEach((j, r) => {
      indices[i * k + r] = j;
      weights[i * k + r] = row[j]!;
    });
  }
  return { items: n, keep: k, indices, weights };
}
