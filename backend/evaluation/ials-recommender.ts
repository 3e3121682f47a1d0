/**
 * iALS (backend/training) behind the evaluation `Recommender` interface, so the trained
 * model is measured with exactly the protocol the baselines are.
 *
 * fit(train): the evaluation records are turned into the training users × items matrix
 *   and `fitIals` runs on it. Only the item factors are kept: the user factors are thrown
 *   away on purpose (see below).
 * recommend(history, k, exclude): the user vector is folded in from the history with
 *   `foldInUser` (exact solve of the per-user normal equations with the item factors
 *   fixed, YᵀY precomputed once per fit) and items are ranked by x_uᵀ y_i. This is what
 *   the edge does from the session history, so the offline figures are the figures of
 *   the served path, not of the training-time user vectors; for a training user the two
 *   differ only by CG's inexactness and the history-weight caveat below.
 *
 * Choices:
 * - The matrix is built here rather than with `buildInteractionMatrix`, because that
 *   function takes typed service events and looks their weights up by type, whereas
 *   evaluation records already carry a weight (a dataset reader may choose any). The
 *   construction is otherwise the same: weights summed per (user, item), cells with a
 *   sum ≤ 0 dropped, `interactionStrength` for the optional log scaling, ids sorted so
 *   a fit does not depend on row order.
 * - The interface gives the history as distinct item ids without weights or counts, so
 *   every history item is folded in with r = interactionStrength(historyWeight), i.e.
 *   as one interaction of the median positive training weight (for Online Retail, one
 *   purchase line). Training saw summed weights (an item bought in three invoices has
 *   r = 30 linear); the mismatch is smaller with log scaling. The edge, which has the
 *   session events, can pass the true sums.
 * - Users whose history contains no item the model knows (cold users, or only items
 *   first seen after the fit) get the popularity ranking: there is nothing to fold in,
 *   and a fold-in of an empty history is the zero vector, which ranks nothing.
 * - Items in the history are never recommended, in addition to `exclude`, as ItemKnn
 *   does.
 */
import { Popularity, type Recommender } from "./baselines.js";
import { isPositive, type Interaction } from "./interactions.js";
import { interactionStrength, transpose, type Csr, type InteractionMatrix, type StrengthScaling } from "../training/interaction-matrix.js";
import { fitIals, foldInUser, itemGram, recommend, type HistoryEntry, type IalsParams } from "../training/ials.js";

/**
 * Defaults are the winner of the Online Retail validation grid (README.md): they assume
 * weights on the scale of DEFAULT_EVENT_WEIGHTS (purchase = 10), which is why ε = 10
 * makes one purchase r = log 2 ≈ 0.69. The grid was flat near the top (NDCG@10 within
 * 0.003 across scaling/λ choices), so they are a reasonable start, not a tuned optimum.
 */
export interface IalsRecommenderOptions {
  /** Latent dimensions f. Default 64. */
  readonly factors?: number;
  /** ALS iterations. Default 15. */
  readonly iterations?: number;
  /** λ. Default 5. */
  readonly regularization?: number;
  /** α in c = 1 + α·r. Default 1. */
  readonly alpha?: number;
  /** CG steps per row solve. Default 3 (Takács et al. find 2–4 enough). */
  readonly cgSteps?: number;
  /** r_ui from the summed weight; default log(1 + sum/10). */
  readonly scaling?: StrengthScaling;
  /** Summed weight each history item is folded in with; default the median positive training weight. */
  readonly historyWeight?: number;
  readonly seed?: number;
  /** Shown in reports; defaults to a description of the hyper-parameters. */
  readonly name?: string;
}

/**
 * Users × items matrix from weighted evaluation records, with the same semantics as
 * `buildInteractionMatrix` (see the file header for why it is not called directly).
 */
export function matrixFromInteractions(train: readonly Interaction[], scaling: StrengthScaling = { kind: "linear" }): InteractionMatrix {
  if (scaling.kind === "log" && !(scaling.epsilon > 0)) throw new Error("log scaling needs epsilon > 0");
  const userIds = [...new Set(train.map((e) => e.user_id))].sort();
  const itemIds = [...new Set(train.map((e) => e.item_id))].sort();
  const userIndex = new Map(userIds.map((id, i) => [id, i]));
  const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  // Per-user maps: the record count is in the hundreds of thousands, so a Map per user is
  // cheap and keeps the merge of repeated (user, item) pairs obvious.
  const rows: Map<number, number>[] = userIds.map(() => new Map());
  for (const e of train) {
    const row = rows[userIndex.get(e.user_id)!]!;
    const i = itemIndex.get(e.item_id)!;
    row.set(i, (row.get(i) ?? 0) + e.weight);
  }
  const indptr = new Int32Array(userIds.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  rows.forEach((row, u) => {
    for (const [i, sum] of [...row].sort((a, b) => a[0] - b[0])) {
      if (sum <= 0) continue;
      indices.push(i);
      values.push(interactionStrength(sum, scaling));
    }
    indptr[u + 1] = indices.length;
  });
  const byUser: Csr = {
    rows: userIds.length,
    cols: itemIds.length,
    indptr,
    indices: Int32Array.from(indices),
    values: Float32Array.from(values),
  };
  return { byUser, byItem: transpose(byUser), userIds, itemIds, userIndex, itemIndex, scaling };
}

function median(xs: number[]): number {
  if (xs.length === 0) return 1;
  xs.sort((a, b) => a - b);
  const m = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
}

export class IalsRecommender implements Recommender {
  readonly name: string;
  readonly params: IalsParams;
  readonly scaling: StrengthScaling;
  private readonly fixedHistoryWeight: number | undefined;
  private readonly fallback = new Popularity();
  private itemIds: string[] = [];
  private itemIndex = new Map<string, number>();
  private itemFactors: Float32Array = new Float32Array(0);
  private gram: Float64Array = new Float64Array(0);
  private historyStrength = 0;
  /** L after each iteration of the last fit. */
  loss: number[] = [];

  constructor(options: IalsRecommenderOptions = {}) {
    this.params = {
      factors: options.factors ?? 64,
      iterations: options.iterations ?? 15,
      regularization: options.regularization ?? 5,
      alpha: options.alpha ?? 1,
      cgSteps: options.cgSteps ?? 3,
      seed: options.seed ?? 1,
      // The loss costs an extra pass per iteration and nothing here reads it during a grid.
      computeLoss: false,
    };
    this.scaling = options.scaling ?? { kind: "log", epsilon: 10 };
    this.fixedHistoryWeight = options.historyWeight;
    if (this.fixedHistoryWeight !== undefined && !(this.fixedHistoryWeight > 0)) {
      throw new RangeError(`historyWeight must be > 0, got ${this.fixedHistoryWeight}`);
    }
    const p = this.params;
    const scale = this.scaling.kind === "log" ? `log ε=${this.scaling.epsilon}` : "linear";
    this.name = options.name ?? `iALS (f=${p.factors}, λ=${p.regularization}, α=${p.alpha}, it=${p.iterations}, ${scale})`;
  }

  fit(train: readonly Interaction[]): void {
    const positive = train.filter(isPositive);
    const matrix = matrixFromInteractions(positive, this.scaling);
    const model = fitIals(matrix, this.params);
    this.itemIds = matrix.itemIds;
    this.itemIndex = matrix.itemIndex;
    this.itemFactors = model.itemFactors;
    this.loss = model.loss;
    // Once per fit: every fold-in needs YᵀY and it costs items·f²/2.
    this.gram = itemGram(model.itemFactors, this.params.factors);
    const weight = this.fixedHistoryWeight ?? median(positive.map((e) => e.weight));
    this.historyStrength = interactionStrength(weight, this.scaling);
    this.fallback.fit(train);
  }

  /** The folded-in user vector for a history, or null when no history item is known. */
  userVector(history: readonly string[]): Float32Array | null {
    const entries: HistoryEntry[] = [];
    const own = new Set<number>();
    for (const id of history) {
      const i = this.itemIndex.get(id);
      if (i === undefined || own.has(i)) continue;
      own.add(i);
      entries.push({ itemIndex: i, weight: this.historyStrength });
    }
    if (entries.length === 0) return null;
    return foldInUser(this.itemFactors, entries, this.params, this.gram);
  }

  recommend(history: readonly string[], k: number, exclude: ReadonlySet<string>): string[] {
    const vec = this.userVector(history);
    if (vec === null) return this.fallback.recommend(history, k, new Set([...exclude, ...history]));
    const skip: number[] = [];
    for (const id of history) {
      const i = this.itemIndex.get(id);
      if (i !== undefined) skip.push(i);
    }
    for (const id of exclude) {
      const i = this.itemIndex.get(id);
      if (i !== undefined) skip.push(i);
    }
    return recommend(vec, this.itemFactors, k, skip).map((s) => this.itemIds[s.itemIndex]!);
  }
}
