/**
 * The models every offline evaluation compares, in one place, so the Online Retail
 * benchmark and the file CLI (`scripts/evaluate-file.ts`) measure the same list, and a
 * new model is added once for both: append a `ModelSpec` to MODEL_SPECS.
 *
 * Order matters only for the report: non-personalised baseline first, then the
 * neighbourhood method, then learned models, so each row is read against the simpler
 * ones above it.
 *
 * Scale of the weights: IalsRecommender's defaults were tuned on Online Retail, where
 * one purchase line weighs 10 and r = log(1 + sum/10) gives it r = log 2. A dataset
 * whose ordinary interaction weighs w (MovieLens readers use 1) gets ε = w through
 * `typicalWeight`, so one interaction again means r = log 2 and the tuned α and λ keep
 * their meaning; without it, weight-1 data would get r = log 1.1 ≈ 0.1 per interaction, a
 * confidence seven times weaker than the one the grid chose.
 */
import type { CatalogItem } from "../../models/catalog.js";
import { ItemKnn, Popularity, type Recommender } from "./baselines.js";
import { evaluate, type EvaluationSplit, type MetricsRow } from "./evaluate.js";
import { EaseRecommender, type EaseRecommenderOptions } from "./ease-recommender.js";
import { IalsRecommender, type IalsRecommenderOptions } from "./ials-recommender.js";
import { isPositive, type Interaction } from "./interactions.js";
import { PipelineRecommender } from "./pipeline-recommender.js";
import { DEFAULT_PIPELINE, type PipelineParams } from "../training/pipeline.js";

export interface ModelSuiteOptions {
  /** Item-kNN neighbourhood size. Default 50. */
  readonly neighbours?: number;
  /** iALS hyper-parameters; unset ones are IalsRecommender's defaults (scaling: see typicalWeight). */
  readonly ials?: IalsRecommenderOptions;
  /**
   * Weight of one ordinary positive interaction in the data (`typicalWeight(train)`).
   * Sets iALS's log-scaling ε when `ials.scaling` is not given.
   */
  readonly typicalWeight?: number;
  /** EASE's λ and size limit; unset ones are EaseRecommender's defaults. */
  readonly ease?: EaseRecommenderOptions;
  /** Item metadata (category, price, title), for models that use it: the pipeline. */
  readonly catalog?: readonly CatalogItem[];
  /** Only these model ids (see MODEL_SPECS), in suite order. Default: all. */
  readonly only?: readonly string[];
}

export interface ModelSpec {
  /** Short, stable name for command lines (`--models`). */
  readonly id: string;
  readonly description: string;
  create(options: ModelSuiteOptions): Recommender;
}

function ialsOptions(options: ModelSuiteOptions): IalsRecommenderOptions {
  const ials = options.ials ?? {};
  if (ials.scaling !== undefined || options.typicalWeight === undefined) return ials;
  if (!(options.typicalWeight > 0)) throw new RangeError(`typicalWeight must be > 0, got ${options.typicalWeight}`);
  return { ...ials, scaling: { kind: "log", epsilon: options.typicalWeight } };
}

export const MODEL_SPECS: readonly ModelSpec[] = [
  { id: "popularity", description: "most interacted items (summed weight)", create: () => new Popularity() },
  {
    id: "item-knn",
    description: "item-based cosine neighbours, popularity fill",
    create: (o) => new ItemKnn({ neighbours: o.neighbours ?? 50 }),
  },
  {
    id: "ease",
    description: "EASE (Steck 2019), closed-form item × item weights; catalogs up to EASE_MAX_ITEMS",
    create: (o) => new EaseRecommender(o.ease ?? {}),
  },
  { id: "ials", description: "implicit ALS, fold-in serving", create: (o) => new IalsRecommender(ialsOptions(o)) },
  {
    id: "pipeline",
    description: "the published pipeline: iALS retrieval + item neighbours + LambdaMART ranker, as the edge serves it",
    create: (o) => new PipelineRecommender(o.catalog ?? [], pipelineParams(o), undefined, "pipeline"),
  },
];

/** The service's pipeline defaults, with the strength scaling matched to the data as for iALS. */
function pipelineParams(options: ModelSuiteOptions): PipelineParams {
  const scaling = ialsOptions(options).scaling;
  return scaling ? { ...DEFAULT_PIPELINE, retrieval: { ...DEFAULT_PIPELINE.retrieval, scaling } } : DEFAULT_PIPELINE;
}

export function modelIds(): string[] {
  return MODEL_SPECS.map((s) => s.id);
}

/** Fresh, unfitted instances of the suite's models. */
export function standardModels(options: ModelSuiteOptions = {}): Recommender[] {
  const only = options.only;
  if (only) {
    const unknown = only.filter((id) => !MODEL_SPECS.some((s) => s.id === id));
    if (unknown.length > 0) throw new RangeError(`unknown model ${unknown.join(", ")}; known: ${modelIds().join(", ")}`);
  }
  return MODEL_SPECS.filter((s) => !only || only.includes(s.id)).map((s) => s.create(options));
}

/** The median positive weight: what one ordinary interaction weighs in this data. */
export function typicalWeight(interactions: readonly Interaction[]): number {
  const weights = Float64Array.from(interactions.filter(isPositive), (e) => e.weight).sort();
  if (weights.length === 0) return 1;
  const m = weights.length >> 1;
  return weights.length % 2 === 1 ? weights[m]! : (weights[m - 1]! + weights[m]!) / 2;
}

export interface ModelResult {
  readonly name: string;
  readonly rows: MetricsRow[];
  readonly fitMs: number;
  readonly recommendMs: number;
  /** Users a list was asked for (warm + cold). */
  readonly lists: number;
}

export type SuiteProgress =
  | { readonly stage: "start"; readonly model: string; readonly index: number; readonly of: number }
  | { readonly stage: "done"; readonly model: string; readonly index: number; readonly of: number; readonly result: ModelResult };

/** Each model evaluated on the same split, one after the other (fits are CPU-bound). */
export function evaluateModels(
  models: readonly Recommender[],
  split: EvaluationSplit,
  options: { readonly k: readonly number[]; readonly onProgress?: (p: SuiteProgress) => void },
): ModelResult[] {
  return models.map((model, index) => {
    options.onProgress?.({ stage: "start", model: model.name, index, of: models.length });
    const r = evaluate(model, split, { k: options.k });
    const result: ModelResult = { name: model.name, rows: r.rows, fitMs: r.fitMs, recommendMs: r.recommendMs, lists: r.lists };
    options.onProgress?.({ stage: "done", model: model.name, index, of: models.length, result });
    return result;
  });
}
