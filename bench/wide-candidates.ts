/**
 * `bench:recs --candidates N`: serve a version whose every list ranks at least N
 * candidates. The demo's own training orders its 320-item lists by EASE retrieval (model
 * selection finds that best there), so no ranker runs and a list holds at most 250
 * candidates. This fits the pipeline in the bench's process on what the stack stored,
 * with no model selection (the ranker orders) and the retrieval source sized to N, then
 * publishes and activates it through the edge's admin API as a training job does. The
 * bench's demo catalog is then twice N items (generateDemoData's itemsPerCluster).
 */
import { DEFAULT_CANDIDATE_LIMITS } from "../models/candidates.js";
import { DEMO_CLUSTERS } from "../backend/demo/demo-clusters.js";
import { createDatabase } from "../backend/db/client.js";
import { createEdgeModelPublisher } from "../backend/publish/edge-model-publisher.js";
import { exportVersion } from "../backend/training/export-artifacts.js";
import { DEFAULT_PIPELINE, fitPipeline } from "../backend/training/pipeline.js";
import { loadTrainingData } from "../backend/training-jobs/training-data.js";
import type { IsolatedStack } from "../scripts/isolated-stack.js";

/** Items per demo cluster for a catalog of twice `candidates` items. */
export function itemsPerClusterFor(candidates: number): number {
  return Math.ceil((2 * candidates) / DEMO_CLUSTERS.length);
}

export async function publishWideVersion(stack: IsolatedStack, candidates: number, log: (line: string) => void): Promise<string> {
  const database = await createDatabase({ url: stack.database.url });
  const data = await loadTrainingData(database.db, {}).finally(() => database.close());
  log(`fitting a ranker version on ${data.interactions.length} interactions, ${data.catalog.length} items, lists of ${candidates}+ candidates…`);
  // A few more from retrieval than N: the user's own items are dropped from its top list.
  const limits = { ...DEFAULT_CANDIDATE_LIMITS, retrieval: candidates + 50 };
  const model = fitPipeline(data.interactions, data.catalog, { ...DEFAULT_PIPELINE, selection: null, candidates: limits });
  if (!model.ranker) throw new Error("the pipeline trained no ranker on the bench's data");
  const version = `bench-wide-${candidates}-${Date.now()}`;
  // With its catalog snapshot, as the trainer ships a version.
  const exported = await exportVersion(model, { version, catalog: { items: data.catalog, readAt: data.catalogReadAt } });
  const publisher = createEdgeModelPublisher({
    edgeUrl: stack.edgeUrl,
    edgeAdminToken: stack.secrets.edgeAdminToken,
    signingKey: { secret: stack.secrets.modelSigningKey },
    vectorStore: { url: stack.vectorUrl, token: stack.secrets.vectorToken },
  });
  await publisher.publish({ version, artifacts: exported.files, manifest: exported.manifest, vectors: exported.vectors });
  await publisher.activate(version);
  log(
    `${version} active: ${model.retrieval.itemIds.length} items, top ${exported.manifest.retrieval.top_k} retrieved, ranker of ${model.ranker.trees.length} trees`,
  );
  return version;
}
