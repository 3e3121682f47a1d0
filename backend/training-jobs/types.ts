/**
 * The seams between the job runner and the parts written elsewhere: the trainer (reads
 * data, fits, evaluates, builds artifacts) and the publisher (uploads to the edge, flips
 * the active pointer). The runner only orchestrates: queue, progress, registry, gates.
 */
import type { ArtifactRole, Manifest } from "../../models/model-manifest.js";
import type { TrainedItem } from "../../models/trained-history.js";
import type { Recipe } from "../training/pipeline.js";
import type { DataWindow, TrainingTrigger } from "../db/schema.js";
import type { MetricsRow } from "../evaluation/evaluate.js";

/** "pipeline": retrieval + neighbours + ranker; "retrieval": iALS retrieval alone. */
export const MODEL_TYPES = ["pipeline", "retrieval"] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export type { TrainingTrigger };
export const TRAINING_TRIGGERS = ["api", "schedule", "startup"] as const satisfies readonly TrainingTrigger[];

/** One row of an evaluation report (`backend/evaluation/evaluate.ts`). */
export type MetricsRowLike = MetricsRow;

/** ISO-8601 instants; `from` inclusive, `to` exclusive; absent = unbounded. */
export interface TrainingWindow {
  from?: string;
  to?: string;
}

export interface TrainingRequest {
  modelType: ModelType;
  window: TrainingWindow;
  /** The champion at the start of the run, when its recipe is known: re-scored on the run's split for the gates. */
  champion?: { version: string; recipe: Recipe };
}

export interface CandidateArtifact {
  name: string;
  role: ArtifactRole;
  bytes: Uint8Array;
  /** sha256 of `bytes`, 64 lower-case hex digits; checked by the runner. */
  sha256: string;
}

/** What publishing a version to the edge needs of it. */
export type PublishedFiles = Pick<TrainedCandidate, "version" | "artifacts" | "manifest" | "vectors">;

export interface TrainedCandidate {
  version: string;
  modelType: ModelType;
  params: Record<string, unknown>;
  dataWindow: DataWindow;
  /** The candidate's own evaluation rows. */
  metrics: MetricsRowLike[];
  /** Baselines (at least popularity) scored on the same split. */
  baselineMetrics: MetricsRowLike[];
  artifacts: CandidateArtifact[];
  manifest: Manifest;
  /**
   * Item vectors to upsert into the vector store (namespace = version) before the
   * manifest is written; set only for versions whose retrieval path is "vector_store".
   */
  vectors?: { ids: string[]; factors: number; values: Float32Array } | null;
  /** Each trained user's items, published to the edge before activation (history-publisher.ts). */
  userHistories?: ReadonlyMap<string, readonly TrainedItem[]>;
  /** The champion's recipe fitted and scored on this candidate's split (the gates' comparison). */
  championMetrics?: { version: string; metrics: MetricsRowLike[] };
}

/**
 * Trains one candidate. Call `progress` as often as convenient (the runner throttles the
 * database writes); stop early and reject when `signal` aborts (shutdown).
 */
export type Trainer = (req: TrainingRequest, progress: (fraction: number, message: string) => void, signal: AbortSignal) => Promise<TrainedCandidate>;

export interface ModelPublisher {
  /** Uploads the artifacts and the manifest; does not change what the edge serves. */
  publish(c: PublishedFiles): Promise<{ manifestSha256: string }>;
  /** Points the edge at an already published version. */
  activate(version: string): Promise<void>;
}
