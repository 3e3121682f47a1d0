/**
 * Compressed sparse rows with float64 values, the layout the neighbourhood models
 * (item-kNN, item-to-item neighbours) walk: row r's entries are cols/vals[ptr[r] ..
 * ptr[r+1]). Building from per-row maps and transposing are shared so both models index
 * users and items the same way.
 */
export interface Csr {
  readonly ptr: Int32Array;
  readonly cols: Int32Array;
  readonly vals: Float64Array;
}

export function toCsr(rows: readonly Map<number, number>[]): Csr {
  const ptr = new Int32Array(rows.length + 1);
  rows.forEach((row, r) => (ptr[r + 1] = ptr[r]! + row.size));
  const cols = new Int32Array(ptr[rows.length]!);
  const vals = new Float64Array(cols.length);
  rows.forEach((row, r) => {
    let p = ptr[r]!;
    for (const [c, v] of row) {
      cols[p] = c;
      vals[p++] = v;
    }
  });
  return { ptr, cols, vals };
}

export function transpose(m: Csr, nCols: number): Csr {
  const ptr = new Int32Array(nCols + 1);
  for (let p = 0; p < m.cols.length; p++) ptr[m.cols[p]! + 1]!++;
  for (let c = 0; c < nCols; c++) ptr[c + 1]! += ptr[c]!;
  const next = ptr.slice(0, nCols);
  const cols = new Int32Array(m.cols.length);
  const vals = new Float64Array(m.cols.length);
  for (let r = 0; r + 1 < m.ptr.length; r++) {
    for (let p = m.ptr[r]!; p < m.ptr[r + 1]!; p++) {
      const q = next[m.cols[p]!]!++;
      cols[q] = r;
      vals[q] = m.vals[p]!;
    }
  }
  return { ptr, cols, vals };
}
