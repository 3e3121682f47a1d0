/**
 * Partial selection of the k best-scoring indices with a bounded binary min-heap:
 * O(n log k) instead of sorting all n candidates, which matters when every user's
 * candidate set is thousands of items. Order: higher score first; equal scores by lower
 * index, so results are deterministic whatever order candidates arrive in.
 */

/** True when (sa, ia) ranks below (sb, ib). */
function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}

export function topK(
  candidates: ArrayLike<number>,
  count: number,
  scores: ArrayLike<number>,
  k: number,
  accept: (index: number) => boolean = () => true,
): number[] {
  const heap = new Int32Array(Math.max(0, k));
  let size = 0;
  const s = (h: number) => scores[heap[h]!]!;
  const siftDown = (start: number) => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && worse(s(l), heap[l]!, s(m), heap[m]!)) m = l;
      if (r < size && worse(s(r), heap[r]!, s(m), heap[m]!)) m = r;
      if (m === i) return;
      const t = heap[i]!;
      heap[i] = heap[m]!;
      heap[m] = t;
      i = m;
    }
  };
  const siftUp = (start: number) => {
    let i = start;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(s(i), heap[i]!, s(p), heap[p]!)) return;
      const t = heap[i]!;
      heap[i] = heap[p]!;
      heap[p] = t;
      i = p;
    }
  };
  for (let c = 0; c < count; c++) {
    const idx = candidates[c]!;
    if (!accept(idx)) continue;
    if (size < k) {
      heap[size] = idx;
      siftUp(size++);
    } else if (k > 0 && worse(s(0), heap[0]!, scores[idx]!, idx)) {
      heap[0] = idx;
      siftDown(0);
    }
  }
  const out = Array.from(heap.subarray(0, size));
  return out.sort((a, b) => (worse(scores[a]!, a, scores[b]!, b) ? 1 : -1));
}
