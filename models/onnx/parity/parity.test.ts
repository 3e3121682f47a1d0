/**
 * Backend side of the edge/backend parity check: onnxruntime-node on the shared parity
 * case must give exactly what expected.json records (to 1e-6), so the fixture the workerd
 * test compares onnxruntime-web against can never go stale. `UPDATE_PARITY=1` rewrites it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { RANKER_INPUT, RANKER_OUTPUT } from "../ranker-graph.js";
import { HISTORY_ITEMS, HISTORY_STRENGTH, ITEM_SCORES, SCORE_ITEMS, USER_VECTOR } from "../retrieval-graph.js";
import { maxDifference, parityCase, type ParityOutputs } from "./parity-case.js";

const EXPECTED = new URL("./expected.json", import.meta.url);

async function nodeOutputs(): Promise<ParityOutputs> {
  const c = parityCase();
  const retrieval = await ort.InferenceSession.create(c.retrieval);
  const ranker = await ort.InferenceSession.create(c.ranker);
  try {
    const out: ParityOutputs = { userVectors: [], allScores: [], rankerScores: [] };
    for (const h of c.histories) {
      const r = await retrieval.run({
        [HISTORY_ITEMS]: new ort.Tensor("int64", BigInt64Array.from(h.items, BigInt), [h.items.length]),
        [HISTORY_STRENGTH]: new ort.Tensor("float32", Float32Array.from(h.strengths), [h.items.length]),
        [SCORE_ITEMS]: new ort.Tensor("int64", BigInt64Array.from(c.scoreItems, BigInt), [c.scoreItems.length]),
      });
      out.userVectors.push(Array.from(r[USER_VECTOR]!.data as Float32Array));
      out.allScores.push(Array.from(r[ITEM_SCORES]!.data as Float32Array));
    }
    const width = c.features.length / c.rows;
    const s = await ranker.run({ [RANKER_INPUT]: new ort.Tensor("float32", c.features, [c.rows, width]) });
    out.rankerScores = Array.from(s[RANKER_OUTPUT]!.data as Float32Array);
    return out;
  } finally {
    await retrieval.release();
    await ranker.release();
  }
}

describe("parity fixture (onnxruntime-node)", () => {
  it("matches the committed outputs the edge is held to", async () => {
    const got = await nodeOutputs();
    if (process.env.UPDATE_PARITY) writeFileSync(EXPECTED, JSON.stringify(got));
    const expected = JSON.parse(readFileSync(EXPECTED, "utf8")) as ParityOutputs;
    expect(maxDifference(got, expected)).toBeLessThanOrEqual(1e-6);
    // Not degenerate: the ranker separates rows and retrieval separates items.
    expect(new Set(got.rankerScores.map((x) => x.toFixed(4))).size).toBeGreaterThan(50);
    expect(Math.max(...got.allScores[2]!) - Math.min(...got.allScores[2]!)).toBeGreaterThan(0.01);
  });
});
