import { describe, expect, it } from "vitest";
import { topK } from "./top-k.js";
import { mulberry32 } from "./synthetic.js";

describe("topK", () => {
  it("returns the best k by score, ties by lower index", () => {
    const scores = [0.5, 0.9, 0.5, 0.1, 0.9];
    expect(topK([0, 1, 2, 3, 4], 5, scores, 3)).toEqual([1, 4, 0]);
    expect(topK([4, 3, 2, 1, 0], 5, scores, 3)).toEqual([1, 4, 0]);
  });

  it("respects accept, count, and k larger than the candidates", () => {
    const scores = [3, 2, 1];
    expect(topK([0, 1, 2], 3, scores, 10, (i) => i !== 0)).toEqual([1, 2]);
    expect(topK([0, 1, 2], 2, scores, 10)).toEqual([0, 1]);
    expect(topK([0, 1, 2], 3, scores, 0)).toEqual([]);
  });

  it("agrees with a full sort on random input", () => {
    const rand = mulberry32(7);
    const scores = Float64Array.from({ length: 500 }, () => Math.floor(rand() * 50));
    const all = Array.from({ length: 500 }, (_, i) => i);
    const sorted = [...all].sort((a, b) => scores[b]! - scores[a]! || a - b);
    expect(topK(all, all.length, scores, 37)).toEqual(sorted.slice(0, 37));
  });
});
