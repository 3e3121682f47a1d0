/**
 * The training a deployed backend runs: the full pipeline (backend/training) reading the
 * backend's own database, publishing each version to the edge (signed with
 * MODEL_SIGNING_KEY, item vectors to Upstash Vector when UPSTASH_VECTOR_REST_URL is set).
 * `tsx backend/server.ts` and the local stack both start the backend with it.
 */
import type { BackendConfig } from "../config.js";
import { createEdgeModelPublisher } from "../publish/edge-model-publisher.js";
import type { TrainingOption } from "../server.js";
import { createPipelineTrainer } from "../training/train-candidate.js";

export function pipelineTraining(
  config: Pick<BackendConfig, "edgeUrl" | "edgeAdminToken" | "modelSigningKey" | "vectorRestUrl" | "vectorRestToken">,
): TrainingOption {
  return (database) => ({
    trainer: createPipelineTrainer(database.db),
    publisher: createEdgeModelPublisher({
      edgeUrl: config.edgeUrl,
      edgeAdminToken: config.edgeAdminToken,
      signingKey: config.modelSigningKey,
      ...(config.vectorRestUrl ? { vectorStore: { url: config.vectorRestUrl, token: config.vectorRestToken } } : {}),
    }),
  });
}
