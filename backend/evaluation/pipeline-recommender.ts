/**
 * The learned pipeline (backend/training/pipeline.ts) behind the evaluation interface.
 * Unlike the baselines it needs each user's timed, weighted history and the popularity
 * lists as of the cut, exactly as the edge sees them at request time, so it implements
 * `recommendUser` (evaluate.ts prefers it) and keeps the training log per user.
 */
import type { CatalogItem } from "../../models/catalog.js";
import type { HistoryEvent } from "../../models/feature-spec.js";
import {
  DEFAULT_PIPELINE,
  fitPipeline,
  historiesByUser,
  rankForUser,
  type PipelineModel,
  type PipelineParams,
  type PipelineProgress,
} from "../training/pipeline.js";
import { popularityAt, type PopularitySnapshot } from "../training/popularity-snapshot.js";
import type { Recommender } from "./baselines.js";
import type { Interaction } from "./interactions.js";
import type { TestUser } from "./temporal-split.js";

export class PipelineRecommender implements Recommender {
  readonly name: string;
  model: PipelineModel | null = null;
  private histories = new Map<string, HistoryEvent[]>();
  private popularity: PopularitySnapshot = { trending: [], popular: [] };
  private now = 0;

  constructor(
    private readonly catalog: readonly CatalogItem[] = [],
    private readonly params: PipelineParams = DEFAULT_PIPELINE,
    private readonly progress?: PipelineProgress,
    name?: string,
  ) {
    this.name = name ?? (params.ranker ? "pipeline (iALS + neighbours + LambdaMART)" : "retrieval (iALS + neighbours)");
  }

  fit(train: readonly Interaction[]): void {
    this.model = fitPipeline(train, this.catalog, this.params, this.progress);
    this.histories = historiesByUser(train);
    // Lists are asked for just after the newest training interaction: the cut.
    this.now = this.model.trainedUntil + 1;
    this.popularity = popularityAt(train, this.now);
  }

  recommendUser(user: TestUser, k: number, exclude: ReadonlySet<string>): string[] {
    return this.rank(this.histories.get(user.user_id) ?? [], k, exclude);
  }

  /** History without times (the generic interface): every item counted once, as of now. */
  recommend(history: readonly string[], k: number, exclude: ReadonlySet<string>): string[] {
    return this.rank(
      history.map((item_id) => ({ item_id, ts: this.now - 1, weight: 1 })),
      k,
      exclude,
    );
  }

  private rank(history: readonly HistoryEvent[], k: number, exclude: ReadonlySet<string>): string[] {
    if (!this.model) throw new Error("fit() first");
    return rankForUser(this.model, { history, now: this.now, context: null, popularity: this.popularity, exclude })
      .slice(0, k)
      .map((r) => r.item_id);
  }
}
