import { describe, expect, it } from "vitest";
import { invertSpdInPlace } from "./spd-inverse.js";

function inverse(rows: number[][]): number[][] {
  const n = rows.length;
  const a = Float64Array.from(rows.flat());
  invertSpdInPlace(a, n);
  return rows.map((_, i) => Array.from(a.subarray(i * n, (i + 1) * n)));
}

/** A random SPD matrix: MᵀM + n·I with M uniform in [-1, 1), from a fixed LCG. */
function randomSpd(n: number, seed: number): Float64Array {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 31 - 1;
  };
  const m = Float64Array.from({ length: n * n }, next);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j]! += m[k * n + i]! * m[k * n + j]!;
  for (let i = 0; i < n; i++) a[i * n + i]! += n;
  return a;
}

describe("invertSpdInPlace", () => {
  it("inverts a 2×2 by hand: [[4,2],[2,3]]⁻¹ = [[3,-2],[-2,4]] / 8", () => {
    const inv = inverse([
      [4, 2],
      [2, 3],
    ]);
    expect(inv[0]![0]).toBeCloseTo(3 / 8, 14);
    expect(inv[0]![1]).toBeCloseTo(-2 / 8, 14);
    expect(inv[1]![0]).toBeCloseTo(-2 / 8, 14);
    expect(inv[1]![1]).toBeCloseTo(4 / 8, 14);
  });

  it("inverts the 3×3 second-difference matrix: [[3,2,1],[2,4,2],[1,2,3]] / 4", () => {
    const inv = inverse([
      [2, -1, 0],
      [-1, 2, -1],
      [0, -1, 2],
    ]);
    const want = [
      [3, 2, 1],
      [2, 4, 2],
      [1, 2, 3],
    ];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(inv[i]![j]).toBeCloseTo(want[i]![j]! / 4, 14);
  });

  // Sizes around the four-row blocking: remainders 0, 1, 2 and 3, and one block exactly.
  it.each([1, 4, 5, 6, 7, 13, 37])("gives A·A⁻¹ = I for a random SPD matrix of size %i", (n) => {
    const a = randomSpd(n, n);
    const inv = Float64Array.from(a);
    invertSpdInPlace(inv, n);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!;
        worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
        expect(inv[i * n + j]).toBe(inv[j * n + i]);
      }
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it("refuses a matrix that is not positive definite", () => {
    const a = Float64Array.from([1, 2, 2, 1]);
    expect(() => invertSpdInPlace(a, 2)).toThrow(/not positive definite \(pivot 1/);
    expect(() => invertSpdInPlace(new Float64Array(3), 2)).toThrow(/expected 4 entries/);
  });
});
