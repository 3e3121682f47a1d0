/**
 * Publish-time validation of a version's files with onnxruntime-node, the same runtime
 * family the edge uses (onnxruntime-web): every graph must load, answer probe inputs
 * with finite values, and agree with the trainer's own arithmetic — retrieval with the
 * exact Cholesky fold-in, the ranker with the reference tree walk. A version that fails
 * is never uploaded.
 */
import * as ort from "onnxruntime-node";
import { decodeItemWeights, type ItemWeights } from "../../models/item-weights.js";
import { FEATURE_NAMES } from "../../models/feature-spec.js";
import { historyStrengths } from "../../models/interaction-strength.js";
import { CatalogFileSchema, ItemsFileSchema, NeighboursFileSchema } from "../../models/model-manifest.js";
import { RANKER_INPUT, RANKER_OUTPUT } from "../../models/onnx/ranker-graph.js";
import { HISTORY_ITEMS, HISTORY_STRENGTH, ITEM_SCORES, RETRIEVAL_INDICES, SCORE_ITEMS } from "../../models/onnx/retrieval-graph.js";
import type { ExportedVersion } from "./export-artifacts.js";
import { predictCompiled } from "./lambdamart.js";
import type { PipelineModel } from "./pipeline.js";
import { Rng } from "./random.js";
import { allScores, foldIn } from "./retrieval-model.js";

export class ArtifactValidationError extends Error {
  override readonly name = "ArtifactValidationError";
}

export interface ValidationReport {
  /** Largest |ONNX − reference| over the probe users' scores, relative to the largest score. */
  retrievalRelativeError: number | null;
  /** Largest |ONNX − reference| over the probe feature rows. */
  rankerMaxError: number | null;
  probes: number;
}

/** PCG in float32 against a float64 Cholesky solve: agreement to 1e-3 of the score scale. */
const RETRIEVAL_TOLERANCE = 1e-3;
const RANKER_TOLERANCE = 1e-5;

function fail(message: string): never {
  throw new ArtifactValidationError(message);
}

async function withSession<T>(bytes: Uint8Array, what: string, use: (s: ort.InferenceSession) => Promise<T>): Promise<T> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes);
  } catch (err) {
    fail(`${what}: onnxruntime could not load it (${String(err)})`);
  }
  try {
    return await use(session);
  } finally {
    await session.release();
  }
}

async function checkRetrieval(model: PipelineModel, bytes: Uint8Array, rng: Rng, probes: number): Promise<number> {
  const r = model.retrieval;
  const n = r.itemIds.length;
  // Every row, in order: the gathered scores are then all of them, checked item by item.
  const everyRow = new ort.Tensor(
    "int64",
    BigInt64Array.from({ length: n }, (_, i) => BigInt(i)),
    [n],
  );
  return withSession(bytes, "retrieval.onnx", async (session) => {
    let worst = 0;
    for (let p = 0; p < probes; p++) {
      const history = Array.from({ length: 1 + rng.int(8) }, () => ({ item_id: r.itemIds[rng.int(n)]!, ts: 0, weight: 1 + rng.int(10) }));
      const entries = historyStrengths(history, r.itemIndex, r.params.scaling);
      const out = await session.run({
        [HISTORY_ITEMS]: new ort.Tensor(
          "int64",
          BigInt64Array.from(entries, (e) => BigInt(e.index)),
          [entries.length],
        ),
        [HISTORY_STRENGTH]: new ort.Tensor(
          "float32",
          Float32Array.from(entries, (e) => e.strength),
          [entries.length],
        ),
        [SCORE_ITEMS]: everyRow,
      });
      const got = out[ITEM_SCORES]!.data as Float32Array;
      const indices = out[RETRIEVAL_INDICES]!.data as BigInt64Array;
      if (got.length !== n) fail(`retrieval.onnx: item_scores has ${got.length} values for ${n} items`);
      if (!indices.every((i) => i >= 0n && i < BigInt(n))) fail("retrieval.onnx: an index is outside the item table");
      const expected = allScores(r, foldIn(r, history)!);
      const scale = Math.max(1e-9, ...expected.map(Math.abs));
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(got[i]!)) fail(`retrieval.onnx: score of item ${i} is not finite`);
        worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / scale);
      }
    }
    if (worst > RETRIEVAL_TOLERANCE) fail(`retrieval.onnx: scores differ from the exact fold-in by ${worst.toExponential(2)} (> ${RETRIEVAL_TOLERANCE})`);
    return worst;
  });
}

async function checkRanker(model: PipelineModel, bytes: Uint8Array, rng: Rng, rows: number): Promise<number> {
  const width = FEATURE_NAMES.length;
  // Probe values around the trees' own thresholds so both sides of every split are taken.
  const thresholds: number[][] = Array.from({ length: width }, () => []);
  for (const t of model.ranker!.trees) for (const node of t.nodes) if ("feature" in node) thresholds[node.feature]!.push(node.threshold);
  const features = new Float32Array(rows * width);
  for (let i = 0; i < features.length; i++) {
    const ts = thresholds[i % width]!;
    const base = ts.length > 0 ? ts[rng.int(ts.length)]! : rng.next() * 10 - 1;
    features[i] = rng.int(3) === 0 ? base : base + (rng.next() - 0.5) * 0.1;
  }
  const expected = predictCompiled(model.compiled!, features, width);
  return withSession(bytes, "ranker.onnx", async (session) => {
    const out = await session.run({ [RANKER_INPUT]: new ort.Tensor("float32", features, [rows, width]) });
    const got = out[RANKER_OUTPUT]!.data as Float32Array;
    if (got.length !== rows) fail(`ranker.onnx: ${got.length} scores for ${rows} rows`);
    let worst = 0;
    got.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - expected[i]!))));
    if (!(worst <= RANKER_TOLERANCE)) fail(`ranker.onnx: scores differ from the reference trees by ${worst.toExponential(2)} (> ${RANKER_TOLERANCE})`);
    return worst;
  });
}

/** The edge decodes the table itself; it must read back exactly the trainer's. */
function checkItemWeights(model: PipelineModel, bytes: Uint8Array, items: number): void {
  if (!model.ease) fail("item_weights shipped for a model without EASE");
  let table: ItemWeights;
  try {
    table = decodeItemWeights(bytes, items);
  } catch (err) {
    fail(`item-weights.bin: ${err instanceof Error ? err.message : String(err)}`);
  }
  const want = model.ease!.table;
  const same = table!.keep === want.keep && table!.indices.every((j, e) => j === want.indices[e]) && table!.weights.every((w, e) => w === want.weights[e]);
  if (!same) fail("item-weights.bin does not decode to the trained EASE table");
}

export async function validateVersion(model: PipelineModel, exported: ExportedVersion, probes = 20): Promise<ValidationReport> {
  const rng = new Rng(7);
  const file = (role: string) => exported.files.find((f) => f.role === role);
  const items = ItemsFileSchema.parse(JSON.parse(new TextDecoder().decode(file("items")!.bytes)));
  if (items.items.length !== exported.manifest.catalog_size) fail("items.json: length differs from the manifest's catalog_size");
  NeighboursFileSchema.parse(JSON.parse(new TextDecoder().decode(file("neighbours")!.bytes)));
  const catalog = file("catalog");
  if (catalog) CatalogFileSchema.parse(JSON.parse(new TextDecoder().decode(catalog.bytes)));
  const weights = file("item_weights");
  if (weights) checkItemWeights(model, weights.bytes, items.items.length);
  const retrieval = file("retrieval");
  const ranker = file("ranker");
  return {
    retrievalRelativeError: retrieval ? await checkRetrieval(model, retrieval.bytes, rng, probes) : null,
    rankerMaxError: ranker ? await checkRanker(model, ranker.bytes, rng, 1000) : null,
    probes,
  };
}
