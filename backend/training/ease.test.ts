import { describe, expect, it } from "vitest";
import { easeScores, fitEase, regularisedItemGram } from "./ease.js";

describe("EASE", () => {
  // X rows {0,1}, {1,2}, {0,1,2}: G = [[2,2,1],[2,3,2],[1,2,2]], λ = 1 gives
  // G + I = [[3,2,1],[2,4,2],[1,2,3]] with inverse [[8,-4,0],[-4,8,-4],[0,-4,8]] / 16,
  // so B = -P / diag(P) = [[0, ½, 0], [½, 0, ½], [0, ½, 0]].
  const users = [
    [0, 1],
    [1, 2],
    [0, 1, 2],
  ];

  it("builds XᵀX + λI from the users' item sets", () => {
    expect(Array.from(regularisedItemGram(users, 3, 1))).toEqual([3, 2, 1, 2, 4, 2, 1, 2, 3]);
  });

  it("adds the dropout emphasis p/(1−p)·Gᵢᵢ on the diagonal (p = ½: Gᵢᵢ once more)", () => {
    expect(Array.from(regularisedItemGram(users, 3, 1, 0.5))).toEqual([5, 2, 1, 2, 7, 2, 1, 2, 5]);
  });

  it("matches the hand-computed B on a three-item case", () => {
    const model = fitEase(users, 3, 1);
    const want = [0, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0];
    Array.from(model.weights).forEach((w, k) => expect(w).toBeCloseTo(want[k]!, 6));
    expect(Array.from(easeScores(model, [0], new Float64Array(3)))).toEqual([0, 0.5, 0]);
    expect(Array.from(easeScores(model, [0, 2], new Float64Array(3)))).toEqual([0, 1, 0]);
  });

  // The paper's optimality condition: with diag(B) = 0 enforced by Lagrange multipliers,
  // (G + Λ)·B equals G everywhere off the diagonal, for Λ = λI and for the dropout Λ.
  it.each([0, 0.3])("satisfies ((XᵀX + Λ)·B)ᵢⱼ = (XᵀX)ᵢⱼ off the diagonal on random data (dropout %s)", (dropout) => {
    let s = 7;
    const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const n = 11;
    const rows = Array.from({ length: 40 }, () => [...new Set(Array.from({ length: 4 }, () => Math.floor(next() * n)))]);
    const lambda = 2.5;
    const model = fitEase(rows, n, lambda, dropout);
    const a = regularisedItemGram(rows, n, lambda, dropout);
    for (let i = 0; i < n; i++) {
      expect(model.weights[i * n + i]).toBe(0);
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        let s2 = 0;
        for (let k = 0; k < n; k++) s2 += a[i * n + k]! * model.weights[k * n + j]!;
        expect(s2).toBeCloseTo(a[i * n + j]!, 4);
      }
    }
  });

  it("refuses a non-positive lambda, a dropout outside [0, 1) or an empty catalog", () => {
    expect(() => fitEase(users, 3, 0)).toThrow(/lambda must be > 0/);
    expect(() => fitEase([], 0, 1)).toThrow(/at least one item/);
    expect(() => fitEase(users, 3, 1, 1)).toThrow(/dropout must be in \[0, 1\)/);
  });
});

describe("pruneEase", () => {
  it("keeps each row's largest weights by magnitude, negative ones included, padding short rows", async () => {
    const { pruneEase } = await import("./ease.js");
    const model = { items: 4, lambda: 1, weights: Float32Array.from([0, 0.1, -0.6, 0.3, 0.2, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0]) };
    const t = pruneEase(model, 2);
    expect(t.keep).toBe(2);
    expect(Array.from(t.indices)).toEqual([2, 3, 0, -1, -1, -1, 2, 1]);
    expect(Array.from(t.weights)).toEqual([Math.fround(-0.6), Math.fround(0.3), Math.fround(0.2), 0, 0, 0, 3, 2]);
  });
});
