/**
 * One training run, as the job runner calls it: read the interactions and catalog in the
 * window, evaluate the model type against popularity and item-kNN on a temporal holdout
 * (the report the gates read), fit the version on the whole window, export its files and
 * validate them with onnxruntime-node. Nothing here touches the edge: publishing is the
 * runner's decision once the gates pass.
 *
 * The fitting is synchronous CPU work (minutes on 200k interactions), so by default it
 * runs in a worker thread (training-thread.ts): the backend keeps answering while it
 * trains. Only the database read stays on the main thread. Progress is reported between
 * stages; an abort (shutdown) terminates the thread.
 */
import type { Db } from "../db/client.js";
import { ItemKnn, Popularity } from "../evaluation/baselines.js";
import { evaluate, type MetricsRow } from "../evaluation/evaluate.js";
import type { Interaction } from "../evaluation/interactions.js";
import { PipelineRecommender } from "../evaluation/pipeline-recommender.js";
import { temporalSplit } from "../evaluation/temporal-split.js";
import { loadTrainingData } from "../training-jobs/training-data.js";
import type { ModelType, TrainedCandidate, Trainer, TrainingRequest } from "../training-jobs/types.js";
import type { CatalogItem } from "../../models/catalog.js";
import { trainedHistories } from "../../models/trained-history.js";
import { exportVersion, type ExportedVersion } from "./export-artifacts.js";
import { DEFAULT_PIPELINE, fitPipeline, recipeOf, type PipelineModel, type PipelineParams, type Recipe } from "./pipeline.js";
import { buildInThread } from "./training-thread-client.js";
import { validateVersion, type ValidationReport } from "./validate-artifacts.js";

export const EVALUATION_K = [10, 20] as const;

/** What fitting needs besides the data; plain data, so it crosses into the training thread. */
export interface BuildOptions {
  params?: PipelineParams;
  inProcessMaxBytes?: number;
  /** When the catalog read began (epoch ms): the version then ships the catalog as catalog.json. */
  catalogReadAt?: number;
}

export interface TrainOptions extends BuildOptions {
  now?: () => Date;
  /** Fit on the calling thread instead of a worker thread (tests of the fitting itself). Default false. */
  sameThread?: boolean;
}

export function paramsFor(modelType: ModelType, base: PipelineParams = DEFAULT_PIPELINE): PipelineParams {
  return modelType === "retrieval" ? { ...base, ranker: null } : base;
}

/** e.g. "20261122-051500-pipeline": sortable, readable, unique per second and type. */
export function versionName(at: Date, modelType: ModelType): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${modelType}`;
}

export interface EvaluationReport {
  candidate: MetricsRow[];
  baselines: MetricsRow[];
  /** The champion's recipe re-fitted and scored on the same split, when one was given. */
  champion?: { version: string; metrics: MetricsRow[] };
}

/** The champion whose recipe the gates compare against on this run's split. */
export interface ChampionRecipe {
  version: string;
  recipe: Recipe;
}

/**
 * The candidate, the baselines and — given one — the champion's recipe, all fitted on
 * the train part of one temporal holdout (20% of the interactions) and scored on its
 * test part. The champion's own stored figures were measured on another window; these
 * are comparable with the candidate's.
 */
export function evaluateModelType(
  log: readonly Interaction[],
  catalog: readonly CatalogItem[],
  params: PipelineParams,
  progress?: (stage: string, fraction: number, message: string) => void,
  champion?: ChampionRecipe,
): EvaluationReport {
  const split = temporalSplit(log, {});
  const k = { k: [...EVALUATION_K] };
  const candidate = evaluate(new PipelineRecommender(catalog, params, progress, params.ranker ? "pipeline" : "retrieval"), split, k).rows;
  const baselines = [new Popularity(), new ItemKnn()].flatMap((m) => evaluate(m, split, k).rows);
  if (!champion) return { candidate, baselines };
  const recipeParams: PipelineParams = { ...params, recipe: champion.recipe, factorGrid: [champion.recipe.factors] };
  const rows = evaluate(new PipelineRecommender(catalog, recipeParams, undefined, `champion ${champion.version}`), split, k).rows;
  return { candidate, baselines, champion: { version: champion.version, metrics: rows } };
}

export interface TrainedVersion {
  model: PipelineModel;
  exported: ExportedVersion;
  validation: ValidationReport;
  report: EvaluationReport;
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new Error("training cancelled (shutdown)");
}

export async function trainVersion(
  log: readonly Interaction[],
  catalog: readonly CatalogItem[],
  modelType: ModelType,
  version: string,
  progress: (fraction: number, message: string) => void,
  signal: AbortSignal,
  options: BuildOptions = {},
  champion?: ChampionRecipe,
): Promise<TrainedVersion> {
  const params = paramsFor(modelType, options.params);
  progress(0.1, `evaluating ${modelType} against popularity and item-kNN on a temporal holdout`);
  const stages = ["selection", "retrieval", "neighbours", "ranker_data", "ranker", "final_retrieval", "final_neighbours"];
  // Stage progress mapped into [from, from + span) of the whole run, monotone.
  const within = (from: number, span: number, prefix: string) => (stage: string, f: number, message: string) =>
    progress(from + (span * (Math.max(0, stages.indexOf(stage)) + Math.min(1, f))) / stages.length, `${prefix}${message}`);
  const report = evaluateModelType(log, catalog, params, within(0.1, 0.4, "holdout evaluation: "), champion);
  checkAborted(signal);
  progress(0.5, `fitting ${modelType} on ${log.length} interactions`);
  const model = fitPipeline(log, catalog, params, within(0.5, 0.4, ""));
  checkAborted(signal);
  progress(0.9, "exporting and validating artifacts with onnxruntime-node");
  const exported = await exportVersion(model, {
    version,
    ...(options.inProcessMaxBytes ? { inProcessMaxBytes: options.inProcessMaxBytes } : {}),
    ...(options.catalogReadAt !== undefined ? { catalog: { items: catalog, readAt: options.catalogReadAt } } : {}),
  });
  const validation = await validateVersion(model, exported);
  return { model, exported, validation, report };
}

function dataWindow(log: readonly Interaction[]): TrainedCandidate["dataWindow"] {
  let min = Infinity;
  let max = -Infinity;
  for (const e of log) {
    min = Math.min(min, e.ts);
    max = Math.max(max, e.ts);
  }
  return {
    from: new Date(min).toISOString(),
    to: new Date(max).toISOString(),
    interactions: log.length,
    users: new Set(log.map((e) => e.user_id)).size,
    items: new Set(log.map((e) => e.item_id)).size,
  };
}

/** One candidate to build from data already read: the unit of work of the training thread. */
export interface CandidateJob {
  interactions: Interaction[];
  catalog: CatalogItem[];
  modelType: ModelType;
  version: string;
  options: BuildOptions;
  /** Re-scored on the same holdout for the gates; absent: the gates use its stored figures. */
  champion?: ChampionRecipe;
}

/** Fits, exports and validates the candidate; CPU-bound, so the runner calls it in a thread. */
export async function buildCandidate(job: CandidateJob, progress: (fraction: number, message: string) => void, signal: AbortSignal): Promise<TrainedCandidate> {
  const { interactions, catalog, modelType, version } = job;
  const t = await trainVersion(interactions, catalog, modelType, version, progress, signal, job.options, job.champion);
  const r = t.model.rankerReport;
  return {
    version,
    modelType,
    params: {
      factors: t.model.params.retrieval.ials.factors,
      iterations: t.model.params.retrieval.ials.iterations,
      regularization: t.model.params.retrieval.ials.regularization,
      alpha: t.model.params.retrieval.ials.alpha,
      ranker: t.model.ranker ? { trees: t.model.ranker.trees.length } : null,
      ranker_report: r,
      validation: t.validation,
      retrieval_path: t.exported.manifest.retrieval.path,
      scorer: t.exported.manifest.scorer ?? { kind: "ials" },
      ordering: t.model.ordering,
      selection: t.model.selection,
      recipe: recipeOf(t.model),
    },
    dataWindow: dataWindow(interactions),
    metrics: t.report.candidate,
    baselineMetrics: t.report.baselines,
    artifacts: t.exported.files,
    manifest: t.exported.manifest,
    vectors: t.exported.vectors,
    userHistories: trainedHistories(interactions),
    ...(t.report.champion ? { championMetrics: t.report.champion } : {}),
  };
}

/** The runner's Trainer over the system of record. */
export function createPipelineTrainer(db: Db, options: TrainOptions = {}): Trainer {
  return async (req: TrainingRequest, progress, signal) => {
    progress(0.01, "reading interactions and catalog");
    const data = await loadTrainingData(db, req.window, { signal });
    if (data.interactions.length === 0) throw new Error("no interactions in the training window");
    const version = versionName((options.now ?? (() => new Date()))(), req.modelType);
    const job: CandidateJob = {
      interactions: data.interactions,
      catalog: data.catalog,
      modelType: req.modelType,
      version,
      options: {
        ...(options.params ? { params: options.params } : {}),
        ...(options.inProcessMaxBytes ? { inProcessMaxBytes: options.inProcessMaxBytes } : {}),
        catalogReadAt: data.catalogReadAt,
      },
      ...(req.champion ? { champion: req.champion } : {}),
    };
    return options.sameThread ? buildCandidate(job, progress, signal) : buildInThread(job, progress, signal);
  };
}
