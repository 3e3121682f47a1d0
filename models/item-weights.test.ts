import { describe, expect, it } from "vitest";
import { decodeItemWeights, encodeItemWeights, gatherScores, type ItemWeights } from "./item-weights.js";

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
});
