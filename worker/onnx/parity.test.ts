/**
 * Edge side of the parity check: onnxruntime-web inside workerd, on the same graphs built
 * from the same seed, must reproduce the backend's onnxruntime-node outputs
 * (models/onnx/parity/expected.json, itself checked against onnxruntime-node by the Node
 * test) within 1e-5: user vectors, every item's score and the ranker's scores.
 */
import { describe, expect, it } from "vitest";
import expected from "../../models/onnx/parity/expected.json";
import { maxDifference, parityCase, PARITY_TOLERANCE, type ParityOutputs } from "../../models/onnx/parity/parity-case.js";
import { RANKER_INPUT, RANKER_OUTPUT } from "../../models/onnx/ranker-graph.js";
import { HISTORY_ITEMS, HISTORY_STRENGTH, ITEM_SCORES, SCORE_ITEMS, USER_VECTOR } from "../../models/onnx/retrieval-graph.js";
import { getSession, Tensor } from "./ort-runtime.js";

describe("onnxruntime-web in workerd vs onnxruntime-node", () => {
  it(`agrees within ${PARITY_TOLERANCE} on retrieval (fold-in + all scores) and the ranker`, async () => {
    const c = parityCase();
    const retrieval = await getSession("parity/retrieval", () => c.retrieval);
    const ranker = await getSession("parity/ranker", () => c.ranker);
    const got: ParityOutputs = { userVectors: [], allScores: [], rankerScores: [] };
    for (const h of c.histories) {
      const r = await retrieval.run({
        [HISTORY_ITEMS]: new Tensor("int64", BigInt64Array.from(h.items, BigInt), [h.items.length]),
        [HISTORY_STRENGTH]: new Tensor("float32", Float32Array.from(h.strengths), [h.items.length]),
        [SCORE_ITEMS]: new Tensor("int64", BigInt64Array.from(c.scoreItems, BigInt), [c.scoreItems.length]),
      });
      got.userVectors.push(Array.from(r[USER_VECTOR]!.data as Float32Array));
      got.allScores.push(Array.from(r[ITEM_SCORES]!.data as Float32Array));
    }
    const width = c.features.length / c.rows;
    const s = await ranker.run({ [RANKER_INPUT]: new Tensor("float32", c.features, [c.rows, width]) });
    got.rankerScores = Array.from(s[RANKER_OUTPUT]!.data as Float32Array);
    const diff = maxDifference(got, expected as ParityOutputs);
    expect(diff).toBeLessThanOrEqual(PARITY_TOLERANCE);
  });
});
