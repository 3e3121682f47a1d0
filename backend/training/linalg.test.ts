import { describe, expect, it } from "vitest";
import { axpy, choleskySolve, dot, gram, matVec } from "./linalg.js";
import { Rng } from "./random.js";

function randomMatrix(rng: Rng, rows: number, cols: number): Float32Array {
  const m = new Float32Array(rows * cols);
  rng.fillNormal(m, 1);
  return m;
}

describe("linalg", () => {
  it("dot and axpy honour offsets", () => {
    const a = Float32Array.of(9, 1, 2, 3);
    const b = Float64Array.of(4, 5, 6, 9);
    expect(dot(a, 1, b, 0, 3)).toBe(1 * 4 + 2 * 5 + 3 * 6);
    axpy(2, a, 1, b, 1, 2);
    expect([...b]).toEqual([4, 7, 10, 9]);
  });

  it("gram equals the naive YᵀY", () => {
    const rng = new Rng(3);
    const rows = 17;
    const f = 5;
    const y = randomMatrix(rng, rows, f);
    const g = gram(y, rows, f, new Float64Array(f * f));
    for (let a = 0; a < f; a++) {
      for (let b = 0; b < f; b++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += y[r * f + a]! * y[r * f + b]!;
        expect(g[a * f + b]).toBeCloseTo(s, 10);
      }
    }
  });

  it("Cholesky solves a random SPD system", () => {
    const rng = new Rng(5);
    const n = 12;
    const m = randomMatrix(rng, n + 3, n);
    const a = gram(m, n + 3, n, new Float64Array(n * n));
    for (let i = 0; i < n; i++) a[i * n + i]! += 0.1;
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const x = choleskySolve(a, n, b);
    const ax = new Float64Array(n);
    matVec(a, n, x, ax);
    for (let i = 0; i < n; i++) expect(ax[i]).toBeCloseTo(b[i]!, 9);
  });

  it("Cholesky refuses a matrix that is not positive definite", () => {
    expect(() => choleskySolve(Float64Array.of(1, 2, 2, 1), 2, Float64Array.of(1, 1))).toThrow(/positive definite/);
  });
});
