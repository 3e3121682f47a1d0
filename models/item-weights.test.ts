import { describe, expect, it } from "vitest";
import { decodeItemWeights, encodeItemWeights, gatherScores, weightedRetrieval, type ItemWeights } from "./item-weights.js";

// Three items, two entries a row: 0 → {1: 0.5, 2: -0.25}, 1 → {0: 1}, 2 → nothing.
const table: ItemWeights = {
  items: 3,
  keep: 2,
  indices: Int32Array.from([1, 2, 0, -1, -1, -1]),
  weights: Float32Array.from([0.5, -0.25, 1, 0, 0, 0]),
};

describe("item weights", () => {
  it("round-trips through the EIW1 bytes", () => {
    const bytes = encodeItemWeights(table);
    expect(bytes.byteLength).toBe(12 + 8 * 6);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("EIW1");
    const back = decodeItemWeights(bytes, 3);
    expect(Array.from(back.indices)).toEqual(Array.from(table.indices));
    expect(Array.from(back.weights)).toEqual(Array.from(table.weights));
  });

  it("refuses bytes that are not a table for this catalog", () => {
    const bytes = encodeItemWeights(table);
    expect(() => decodeItemWeights(bytes, 4)).toThrow("3 rows for 4 items");
    expect(() => decodeItemWeights(bytes.subarray(0, 20), 3)).toThrow(/20 bytes, expected 60/);
    const bad = bytes.slice();
    new DataView(bad.buffer).setInt32(12, 7, true);
    expect(() => decodeItemWeights(bad, 3)).toThrow("column 7 out of range at entry 0");
    expect(() => decodeItemWeights(new Uint8Array(12), 3)).toThrow("not an EIW1 file");
  });

  it("sums the kept weights of the history rows and names each reached slot once", () => {
    const out = new Float64Array(3);
    const touched = gatherScores(table, [0, 1], out);
    expect(Array.from(out)).toEqual([1, 0.5, -0.25]);
    expect(touched.sort()).toEqual([0, 1, 2]);
    const again = new Float64Array(3);
    expect(gatherScores(table, [2], again)).toEqual([]);
  });

  it("retrieves the best reached rows outside the history, each call on its own scores", () => {
    // History {1}: row 1 reaches 0 with 1. History {0}: reaches 1 (0.5) and 2 (−0.25, not above zero).
    const a = weightedRetrieval(table, [1], 5, () => true);
    const b = weightedRetrieval(table, [0], 5, () => true);
    expect(a.top).toEqual([[0, 1]]);
    expect(b.top).toEqual([[1, 0.5]]);
    // The first answer keeps its scores after the second call reused the shared buffer.
    expect([a.scoreOf(0), a.scoreOf(1), a.scoreOf(2)]).toEqual([1, 0, 0]);
    expect([b.scoreOf(0), b.scoreOf(1), b.scoreOf(2)]).toEqual([0, 0.5, -0.25]);
    expect(weightedRetrieval(table, [0, 1], 5, (j) => j !== 1).top).toEqual([]);
    expect(weightedRetrieval(table, [2], 5, () => true).top).toEqual([]);
  });
});
