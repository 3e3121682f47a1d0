/**
 * Typed calls into a loaded model's ONNX sessions: what serving needs (retrieve, fold-in,
 * rank) and the warm-up runs that prove a version works before it is swapped in.
 *
 * Inputs are checked here rather than left to onnxruntime: a history index past the item
 * table would make Gather fail with an opaque WASM error, and a NaN strength would
 * silently poison every score of the request.
 */
import {
  ALL_SCORES,
  HISTORY_FACTORS,
  HISTORY_ITEMS,
  HISTORY_STRENGTH,
  ITEM_SCORES,
  RETRIEVAL_INDICES,
  RETRIEVAL_SCORES,
  SCORE_ITEMS,
  USER_VECTOR,
} from "../../models/onnx/retrieval-graph.js";
import type { Manifest } from "../../models/model-manifest.js";
import { RANKER_INPUT, RANKER_OUTPUT } from "../../models/onnx/ranker-graph.js";
import { Tensor, type InferenceSession } from "../onnx/ort-runtime.js";

/** The part of a loaded model the inference calls read. */
export interface ModelSessions {
  version: string;
  manifest: Manifest;
  items: string[];
  retrieval: InferenceSession | null;
  foldIn: InferenceSession | null;
  ranker: InferenceSession | null;
}

export interface HistoryEntry {
  /** Row in items.json. */
  index: number;
  /** iALS r for the item (models/interaction-strength.ts). */
  strength: number;
}

export interface Retrieval {
  /** Rows in items.json, best first (the graph's TopK, manifest.retrieval.top_k). */
  indices: number[];
  scores: number[];
  /** The scores of the rows asked for (`scored`), in their order. */
  itemScores: Float32Array;
  userVector: Float32Array;
}

function output(out: InferenceSession.OnnxValueMapType, name: string, version: string): Tensor {
  const t = out[name];
  if (!t) throw new Error(`model ${version}: graph has no output ${name}`);
  return t as Tensor;
}

function floats(t: Tensor, name: string): Float32Array {
  if (t.type !== "float32") throw new Error(`output ${name} is ${t.type}, expected float32`);
  return t.data as Float32Array;
}

function strengths(values: readonly number[]): Float32Array {
  if (values.length === 0) throw new RangeError("history must hold at least one item");
  for (const s of values) if (!Number.isFinite(s)) throw new RangeError(`history strength ${s} is not finite`);
  return Float32Array.from(values);
}

/**
 * In-process retrieval (manifest.retrieval.path "in_process"): fold the history in, score
 * every item inside the runtime, and return the top list plus the scores of the `scored`
 * rows (the candidates other sources found, which the ranker reads retrieval scores of).
 */
export async function retrieve(model: ModelSessions, history: ReadonlyArray<HistoryEntry>, scored: readonly number[]): Promise<Retrieval> {
  if (!model.retrieval) throw new Error(`model ${model.version} has no in-process retrieval graph (path ${model.manifest.retrieval.path})`);
  const n = model.items.length;
  for (const h of history) checkRow("history index", h.index, n);
  for (const i of scored) checkRow("scored row", i, n);
  const strength = strengths(history.map((h) => h.strength));
  const feeds: Record<string, Tensor> = {
    [HISTORY_ITEMS]: rowsTensor(history.map((h) => h.index)),
    [HISTORY_STRENGTH]: new Tensor("float32", strength, [history.length]),
  };
  // Versions trained before score_items existed output every item's score instead.
  const gathers = model.retrieval.inputNames.includes(SCORE_ITEMS);
  // The graph's Gather takes at least one row; row 0 stands in for none and is dropped.
  if (gathers) feeds[SCORE_ITEMS] = rowsTensor(scored.length > 0 ? scored : [0]);
  const out = await model.retrieval.run(feeds);
  const indices = output(out, RETRIEVAL_INDICES, model.version);
  if (indices.type !== "int64") throw new Error(`output ${RETRIEVAL_INDICES} is ${indices.type}, expected int64`);
  const itemScores = gathers ? floats(output(out, ITEM_SCORES, model.version), ITEM_SCORES).subarray(0, scored.length) : pick(out, model.version, scored);
  return {
    indices: Array.from(indices.data as BigInt64Array, Number),
    scores: Array.from(floats(output(out, RETRIEVAL_SCORES, model.version), RETRIEVAL_SCORES)),
    itemScores,
    userVector: floats(output(out, USER_VECTOR, model.version), USER_VECTOR),
  };
}

function pick(out: InferenceSession.OnnxValueMapType, version: string, rows: readonly number[]): Float32Array {
  const all = floats(output(out, ALL_SCORES, version), ALL_SCORES);
  return Float32Array.from(rows, (i) => all[i]!);
}

function checkRow(what: string, i: number, n: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${what} ${i} is outside the item table (0..${n - 1})`);
}

function rowsTensor(rows: readonly number[]): Tensor {
  return new Tensor(
    "int64",
    BigInt64Array.from(rows, (i) => BigInt(i)),
    [rows.length],
  );
}

/**
 * Fold-in alone (path "vector_store"): `historyFactors` is row-major [h, f], the history
 * items' vectors as fetched from the vector store; returns the user vector [f].
 */
export async function foldIn(model: ModelSessions, historyFactors: Float32Array, historyStrength: readonly number[]): Promise<Float32Array> {
  if (!model.foldIn) throw new Error(`model ${model.version} has no fold-in graph (path ${model.manifest.retrieval.path})`);
  const f = model.manifest.retrieval.factors;
  const strength = strengths(historyStrength);
  if (historyFactors.length !== strength.length * f) {
    throw new RangeError(`historyFactors has ${historyFactors.length} values, expected history (${strength.length}) × factors (${f})`);
  }
  const out = await model.foldIn.run({
    [HISTORY_FACTORS]: new Tensor("float32", historyFactors, [strength.length, f]),
    [HISTORY_STRENGTH]: new Tensor("float32", strength, [strength.length]),
  });
  return floats(output(out, USER_VECTOR, model.version), USER_VECTOR);
}

/** Ranker scores for `rows` candidates; `features` is row-major [rows, manifest.ranker.features.length]. */
export async function rankScores(model: ModelSessions, features: Float32Array, rows: number): Promise<Float32Array> {
  if (!model.ranker || !model.manifest.ranker) throw new Error(`model ${model.version} has no ranker`);
  const width = model.manifest.ranker.features.length;
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows must be a positive integer, got ${rows}`);
  if (features.length !== rows * width) throw new RangeError(`features has ${features.length} values, expected rows (${rows}) × features (${width})`);
  const out = await model.ranker.run({ [RANKER_INPUT]: new Tensor("float32", features, [rows, width]) });
  const scores = floats(output(out, RANKER_OUTPUT, model.version), RANKER_OUTPUT);
  if (scores.length !== rows) throw new Error(`ranker returned ${scores.length} scores for ${rows} rows`);
  return scores;
}

/**
 * One run of every session on a dummy input (item 0 at strength 1, one row of zero
 * features), checking output sizes against the manifest and the item table. Creating a
 * session only parses the graph; a wrong input width or a kernel missing from this WASM
 * build shows up on the first run, which must not be a user's request.
 */
export async function warmUp(model: ModelSessions): Promise<void> {
  const n = model.items.length;
  const { factors, top_k } = model.manifest.retrieval;
  const expectLength = (what: string, got: number, want: number) => {
    if (got !== want) throw new Error(`warm-up: ${what} has ${got} values, expected ${want}`);
  };
  if (model.retrieval) {
    if (n === 0) throw new Error("warm-up: the item table is empty");
    const r = await retrieve(model, [{ index: 0, strength: 1 }], [n - 1]);
    expectLength(ITEM_SCORES, r.itemScores.length, 1);
    expectLength(USER_VECTOR, r.userVector.length, factors);
    expectLength(RETRIEVAL_INDICES, r.indices.length, Math.min(top_k, n));
    if (r.indices.some((i) => i < 0 || i >= n)) throw new Error("warm-up: retrieval returned an index outside the item table");
  }
  if (model.foldIn) expectLength(USER_VECTOR, (await foldIn(model, new Float32Array(factors), [1])).length, factors);
  if (model.ranker && model.manifest.ranker) await rankScores(model, new Float32Array(model.manifest.ranker.features.length), 1);
}
