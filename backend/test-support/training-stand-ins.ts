/**
 * Test helpers for the training runner: a small real trainer that returns a consistent
 * candidate (real bytes, real sha256s, a valid manifest) with the metrics a test asks
 * for, and a publisher that records what it was asked to do.
 */
import { DEFAULT_EVENT_WEIGHTS } from "../../models/events.js";
import { sha256OfBytes } from "../../models/hash.js";
import type { Manifest } from "../../models/model-manifest.js";
import type { Db } from "../db/client.js";
import { insertCandidate, markPublished } from "../registry/model-registry.js";
import type { MetricsRowLike, ModelPublisher, TrainedCandidate, Trainer, TrainingRequest } from "../training-jobs/types.js";

export interface CandidatePlan {
  version: string;
  /** NDCG@10 and Recall@20 of warm users. */
  ndcg: number;
  recall: number;
  /** Popularity's values on the same split; default 0.05 and 0.04. */
  baseline?: { ndcg: number; recall: number };
}

export function metricsRows(model: string, ndcg: number, recall: number): MetricsRowLike[] {
  const row = (k: number) => ({
    model,
    group: "warm" as const,
    k,
    users: 100,
    recall,
    precision: recall / 2,
    ndcg,
    map: ndcg / 2,
    hitRate: 0.5,
    coverage: 0.1,
  });
  return [row(10), row(20)];
}

export async function makeCandidate(plan: CandidatePlan, req: TrainingRequest = { modelType: "pipeline", window: {} }): Promise<TrainedCandidate> {
  const bytes = new TextEncoder().encode(JSON.stringify({ items: [`${plan.version}-a`, `${plan.version}-b`] }));
  const sha256 = await sha256OfBytes(bytes);
  const manifest: Manifest = {
    version: plan.version,
    created_at: new Date().toISOString(),
    feature_spec_hash: "0".repeat(64),
    catalog_size: 2,
    retrieval: {
      path: "in_process",
      factors: 8,
      alpha: 1,
      regularization: 5,
      strength: { kind: "log", epsilon: 10 },
      event_weights: { ...DEFAULT_EVENT_WEIGHTS },
      top_k: 100,
    },
    ranker: null,
    files: [{ name: "items.json", role: "items", sha256, bytes: bytes.byteLength }],
  };
  const baseline = plan.baseline ?? { ndcg: 0.05, recall: 0.04 };
  return {
    version: plan.version,
    modelType: req.modelType,
    params: { factors: 8 },
    dataWindow: { from: req.window.from ?? "2026-01-01T00:00:00.000Z", to: req.window.to ?? "2026-02-01T00:00:00.000Z", interactions: 10, users: 3, items: 2 },
    metrics: metricsRows("ials", plan.ndcg, plan.recall),
    baselineMetrics: metricsRows("popularity", baseline.ndcg, baseline.recall),
    artifacts: [{ name: "items.json", role: "items", bytes, sha256 }],
    manifest,
  };
}

export type TrainerStep = (req: TrainingRequest, progress: (f: number, m: string) => void, signal: AbortSignal) => Promise<TrainedCandidate>;

/** Each call runs the next step given to `next`; calls with no step left fail. */
export interface ScriptedTrainer {
  trainer: Trainer;
  next(step: TrainerStep | CandidatePlan): void;
  calls: TrainingRequest[];
}

export function scriptedTrainer(): ScriptedTrainer {
  const steps: TrainerStep[] = [];
  const calls: TrainingRequest[] = [];
  return {
    calls,
    next(step) {
      steps.push(typeof step === "function" ? step : (req) => makeCandidate(step, req));
    },
    trainer: async (req, progress, signal) => {
      calls.push(req);
      const step = steps.shift();
      if (!step) throw new Error("no training step scripted");
      progress(0.5, "fitting");
      return step(req, progress, signal);
    },
  };
}

export interface RecordingPublisher extends ModelPublisher {
  published: string[];
  activated: string[];
  failPublish: boolean;
  failActivate: boolean;
}

export function recordingPublisher(): RecordingPublisher {
  const publisher: RecordingPublisher = {
    published: [],
    activated: [],
    failPublish: false,
    failActivate: false,
    async publish(c) {
      if (publisher.failPublish) throw new Error("R2 unavailable (test)");
      publisher.published.push(c.version);
      return { manifestSha256: await sha256OfBytes(new TextEncoder().encode(JSON.stringify(c.manifest))) };
    },
    async activate(version) {
      if (publisher.failActivate) throw new Error("KV unavailable (test)");
      publisher.activated.push(version);
    },
  };
  return publisher;
}

/** A promise with its resolve exposed, to hold a trainer at a known point. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A version in the registry as a training job leaves it: a candidate with passing metrics, published to the edge. */
export async function publishedVersion(db: Db, version: string, params: Record<string, unknown> = {}): Promise<void> {
  await insertCandidate(
    db,
    {
      version,
      modelType: "pipeline",
      params,
      dataWindow: { from: "2026-01-01T00:00:00.000Z", to: "2026-02-01T00:00:00.000Z", interactions: 1, users: 1, items: 1 },
      metrics: metricsRows("ials", 0.3, 0.2),
      baselineMetrics: metricsRows("popularity", 0.1, 0.1),
      artifacts: [{ name: "items.json", role: "items", sha256: "a".repeat(64), bytes: 10 }],
      parentVersion: null,
      trainingId: null,
    },
    "test",
  );
  await markPublished(db, version, "b".repeat(64), "test");
}
