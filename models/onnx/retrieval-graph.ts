/**
 * ONNX graph for exact in-process retrieval: user vector × item matrix → top-k.
 *
 * Why: when a model version's catalog fits in the isolate's memory, scoring every item
 * with one MatMul and picking the best with TopK inside onnxruntime-web is faster than
 * any network hop to a vector store, and it is exact. The same bytes run under
 * onnxruntime-node in the backend, so publish-time validation and the edge agree. The
 * manifest decides per version whether the edge uses this path or the vector store.
 *
 * Graph (opset 17):
 *   user_vector [1, f] float ─┐
 *   item_factors_t [f, n] ────┴─ MatMul → all_scores [1, n] ─ TopK(k, axis -1, largest, sorted)
 *                                   → scores [1, k] float, indices [1, k] int64 (row in the item table)
 * The item matrix is stored transposed so MatMul needs no Transpose node.
 */
import { encodeModel, TensorDataType } from "./onnx-model.js";

export const RETRIEVAL_INPUT = "user_vector";
export const RETRIEVAL_SCORES = "scores";
export const RETRIEVAL_INDICES = "indices";

function positiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/**
 * @param itemFactors row-major [items, factors]: item i's vector is
 *   itemFactors[i * factors .. (i + 1) * factors).
 * @returns ONNX model bytes.
 */
export function buildRetrievalGraph(itemFactors: Float32Array, items: number, factors: number, k: number): Uint8Array {
  positiveInt("items", items);
  positiveInt("factors", factors);
  positiveInt("k", k);
  if (k > items) throw new RangeError(`k (${k}) must not exceed items (${items})`);
  if (itemFactors.length !== items * factors) {
    throw new RangeError(`itemFactors has ${itemFactors.length} values, expected items × factors = ${items * factors}`);
  }
  // Transpose to [factors, items]; reject non-finite values here, because a NaN in one
  // item would make TopK's ordering meaningless for every user without any error.
  const transposed = new Float32Array(items * factors);
  for (let i = 0; i < items; i++) {
    for (let j = 0; j < factors; j++) {
      const x = itemFactors[i * factors + j]!;
      if (!Number.isFinite(x)) throw new RangeError(`itemFactors[${i}][${j}] is not finite`);
      transposed[j * items + i] = x;
    }
  }
  return encodeModel({
    irVersion: 8,
    opset: 17,
    producerName: "edge-recs",
    docString: "exact retrieval: MatMul(user_vector, item_factors_t) -> TopK",
    graph: {
      name: "retrieval",
      nodes: [
        { opType: "MatMul", name: "score_all", inputs: [RETRIEVAL_INPUT, "item_factors_t"], outputs: ["all_scores"] },
        {
          opType: "TopK",
          name: "top_k",
          inputs: ["all_scores", "k"],
          outputs: [RETRIEVAL_SCORES, RETRIEVAL_INDICES],
          attributes: {
            axis: { kind: "int", value: -1 },
            largest: { kind: "int", value: 1 },
            sorted: { kind: "int", value: 1 },
          },
        },
      ],
      initializers: [
        { name: "item_factors_t", dataType: TensorDataType.FLOAT, dims: [factors, items], data: transposed },
        // TopK (opset >= 10) takes k as a 1-element int64 tensor input, not an attribute.
        { name: "k", dataType: TensorDataType.INT64, dims: [1], data: BigInt64Array.of(BigInt(k)) },
      ],
      inputs: [{ name: RETRIEVAL_INPUT, elemType: TensorDataType.FLOAT, shape: [1, factors] }],
      outputs: [
        { name: RETRIEVAL_SCORES, elemType: TensorDataType.FLOAT, shape: [1, k] },
        { name: RETRIEVAL_INDICES, elemType: TensorDataType.INT64, shape: [1, k] },
      ],
    },
  });
}
