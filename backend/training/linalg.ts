/**
 * Small dense linear algebra for iALS: the few kernels the solver's hot loops need.
 *
 * Layout: matrices are row-major in flat typed arrays, and vectors are addressed by
 * (array, offset) so that a row of a factor matrix can be used in place — taking a
 * `subarray` allocates an object per call, which in a loop over a million
 * interactions is measurable garbage. Factor matrices are Float32Array (half the
 * memory and cache traffic); anything accumulated (Gram matrices, CG vectors, sums)
 * is Float64, because summing tens of thousands of float32 products loses digits that
 * the conjugate-gradient recurrences then amplify.
 *
 * Nothing here allocates except the functions documented as returning a new array.
 */

export type Vec = Float32Array | Float64Array;

/** Σ a[aOff+k]·b[bOff+k] for k < n. */
export function dot(a: Vec, aOff: number, b: Vec, bOff: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[aOff + k]! * b[bOff + k]!;
  return s;
}

/** y[yOff..] += alpha · x[xOff..] over n entries. */
export function axpy(alpha: number, x: Vec, xOff: number, y: Vec, yOff: number, n: number): void {
  for (let k = 0; k < n; k++) y[yOff + k] = y[yOff + k]! + alpha * x[xOff + k]!;
}

/**
 * out = YᵀY (f×f, full symmetric) for Y with `rows` rows of `f` columns.
 * Only the upper triangle is accumulated (half the work), then mirrored. Rows are
 * taken four at a time so each read-modify-write of out[a][b] carries four products:
 * that store traffic, not the arithmetic, is what bounds the one-row version.
 */
export function gram(y: Float32Array, rows: number, f: number, out: Float64Array): Float64Array {
  out.fill(0);
  let r = 0;
  for (; r + 3 < rows; r += 4) {
    const o0 = r * f;
    const o1 = o0 + f;
    const o2 = o1 + f;
    const o3 = o2 + f;
    for (let a = 0; a < f; a++) {
      const y0 = y[o0 + a]!;
      const y1 = y[o1 + a]!;
      const y2 = y[o2 + a]!;
      const y3 = y[o3 + a]!;
      const rowA = a * f;
      for (let b = a; b < f; b++) {
        out[rowA + b] = out[rowA + b]! + y0 * y[o0 + b]! + y1 * y[o1 + b]! + y2 * y[o2 + b]! + y3 * y[o3 + b]!;
      }
    }
  }
  for (; r < rows; r++) {
    const base = r * f;
    for (let a = 0; a < f; a++) {
      const ya = y[base + a]!;
      const rowA = a * f;
      for (let b = a; b < f; b++) out[rowA + b] = out[rowA + b]! + ya * y[base + b]!;
    }
  }
  for (let a = 0; a < f; a++) {
    for (let b = a + 1; b < f; b++) out[b * f + a] = out[a * f + b]!;
  }
  return out;
}

/** out = (A + shift·I)·x for a dense n×n A. */
export function matVec(a: Float64Array, n: number, x: Float64Array, out: Float64Array, shift = 0): void {
  for (let r = 0; r < n; r++) {
    const row = r * n;
    let s = shift * x[r]!;
    for (let c = 0; c < n; c++) s += a[row + c]! * x[c]!;
    out[r] = s;
  }
}

/** Frobenius inner product Σ A_ij B_ij of two equally sized matrices. */
export function frobeniusDot(a: Float64Array, b: Float64Array): number {
  return dot(a, 0, b, 0, a.length);
}

/** Σ A_ii of an n×n matrix. */
export function trace(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i * n + i]!;
  return s;
}

/**
 * In-place Cholesky factorisation A = L·Lᵀ of an SPD n×n matrix; the lower triangle
 * of `a` becomes L (the upper triangle is left as it was). Throws if A is not
 * positive definite, since the iALS normal equations always are (λ > 0) and
 * anything else is a bug upstream.
 */
export function choleskyFactor(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! * a[j * n + k]!;
    if (!(d > 0)) throw new Error(`choleskyFactor: matrix is not positive definite (pivot ${j} = ${d})`);
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = s / ljj;
    }
  }
}

/** Solves L·Lᵀ·x = b given the factor from choleskyFactor; `x` may alias `b`. */
export function choleskySolveFactored(l: Float64Array, n: number, b: Vec, x: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
}

/** Solves A·x = b for SPD A without touching A or b; returns a new array. */
export function choleskySolve(a: Float64Array, n: number, b: Vec): Float64Array {
  const l = Float64Array.from(a);
  choleskyFactor(l, n);
  const x = new Float64Array(n);
  choleskySolveFactored(l, n, b, x);
  return x;
}
