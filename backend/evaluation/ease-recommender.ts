/**
 * EASE (backend/training/ease.ts; Steck, WWW 2019) behind the evaluation `Recommender`
 * interface.
 *
 * fit(train): distinct positive (user, item) pairs become the binary X; items are
 *   indexed in sorted id order so a fit does not depend on row order.
 * recommend(history, k, exclude): s = Σ_{i ∈ history} B[i, ·], the items of the history
 *   and `exclude` removed, best k by score. A history with no item the model knows gets
 *   the popularity ranking (EASE has nothing to sum), as the other models do.
 *
 * λ: the paper reports optima in the hundreds on MovieLens-20M and Netflix; the
 * default 200 is not tuned on any test split. `tuneEaseLambda` picks it on a validation
 * split carved from the training data.
 */
import { Popularity, type Recommender } from "./baselines.js";
import type { Interaction } from "./interactions.js";
import { topK } from "./top-k.js";
import { gatherScores, type ItemWeights } from "../../models/item-weights.js";
import { EASE_MAX_ITEMS, easeScores, fitEase, pruneEase, type EaseModel } from "../training/ease.js";
import { binaryUserItems } from "../training/ease-component.js";

export const DEFAULT_EASE_LAMBDA = 200;

export interface EaseRecommenderOptions {
  /** L2 weight λ. Default DEFAULT_EASE_LAMBDA. */
  readonly lambda?: number;
  /** Refuse to fit above this many items (dense n×n inverse). Default EASE_MAX_ITEMS. */
  readonly maxItems?: number;
  /** Score from each item's `keep` largest weights only, as the edge does (pruneEase). Default: all of B. */
  readonly keep?: number;
}

export class EaseRecommender implements Recommender {
  readonly name: string;
  readonly lambda: number;
  private readonly maxItems: number;
  private readonly fallback = new Popularity();
  private ids: string[] = [];
  private index = new Map<string, number>();
  private model: EaseModel | null = null;
  private pruned: ItemWeights | null = null;
  private readonly keep: number | undefined;
  private scores = new Float64Array(0);
  private everyItem = new Int32Array(0);

  constructor(options: EaseRecommenderOptions = {}) {
    this.lambda = options.lambda ?? DEFAULT_EASE_LAMBDA;
    if (!(this.lambda > 0)) throw new RangeError(`EASE lambda must be > 0, got ${this.lambda}`);
    this.maxItems = options.maxItems ?? EASE_MAX_ITEMS;
    this.keep = options.keep;
    this.name = `EASE (λ=${this.lambda}${this.keep ? `, top ${this.keep}` : ""})`;
  }

  fit(train: readonly Interaction[]): void {
    const x = binaryUserItems(train);
    if (x.itemIds.length > this.maxItems) {
      throw new RangeError(`EASE fits at most ${this.maxItems} items (a dense item × item inverse); this data has ${x.itemIds.length}`);
    }
    this.ids = x.itemIds;
    this.index = x.itemIndex;
    this.model = this.ids.length === 0 ? null : fitEase(x.rows, this.ids.length, this.lambda);
    this.pruned = this.model && this.keep ? pruneEase(this.model, this.keep) : null;
    this.scores = new Float64Array(this.ids.length);
    this.everyItem = Int32Array.from(this.ids.keys());
    this.fallback.fit(train);
  }

  recommend(history: readonly string[], k: number, exclude: ReadonlySet<string>): string[] {
    const known = [...new Set(history.map((id) => this.index.get(id)).filter((i) => i !== undefined))];
    if (!this.model || known.length === 0) return this.fallback.recommend(history, k, new Set([...exclude, ...history]));
    if (this.pruned) {
      this.scores.fill(0);
      gatherScores(this.pruned, known, this.scores);
    } else easeScores(this.model, known, this.scores);
    const own = new Set(known);
    const best = topK(this.everyItem, this.ids.length, this.scores, k, (j) => !own.has(j) && !exclude.has(this.ids[j]!));
    return best.map((j) => this.ids[j]!);
  }
}
