/**
 * Item–item cosine over the user–item matrix, each item's best `keep` neighbours, with
 * optional shrinkage sim · n/(n + shrink) by the n users two items share (shrink 0 is
 * plain cosine). Computed sparsely, walking item → its users → their items, so the cost
 * is Σ_u |I_u|² rather than |I|² · |U|. Shared by the item-kNN baseline and the
 * published item-to-item neighbours.
 */
import type { Csr } from "./sparse-rows.js";
import { topK } from "./top-k.js";

export interface ItemNeighbourLists {
  /** Per item, neighbour item indices, best first. */
  lists: Int32Array[];
  /** Per item, the scores of `lists`. */
  scores: Float64Array[];
}

function columnNorms(itemUsers: Csr, nItems: number): Float64Array {
  const norms = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) {
    let s = 0;
    for (let p = itemUsers.ptr[i]!; p < itemUsers.ptr[i + 1]!; p++) s += itemUsers.vals[p]! ** 2;
    norms[i] = Math.sqrt(s);
  }
  return norms;
}

export function itemCosineNeighbours(userItems: Csr, itemUsers: Csr, nItems: number, keep: number, shrink = 0): ItemNeighbourLists {
  const norms = columnNorms(itemUsers, nItems);
  const dot = new Float64Array(nItems);
  const together = new Int32Array(nItems);
  const score = new Float64Array(nItems);
  const touched = new Int32Array(nItems);
  const lists: Int32Array[] = [];
  const scores: Float64Array[] = [];
  for (let i = 0; i < nItems; i++) {
    let count = 0;
    for (let p = itemUsers.ptr[i]!; p < itemUsers.ptr[i + 1]!; p++) {
      const u = itemUsers.cols[p]!;
      const rui = itemUsers.vals[p]!;
      for (let q = userItems.ptr[u]!; q < userItems.ptr[u + 1]!; q++) {
        const j = userItems.cols[q]!;
        if (j === i) continue;
        if (together[j] === 0) touched[count++] = j;
        together[j]!++;
        dot[j]! += rui * userItems.vals[q]!;
      }
    }
    for (let c = 0; c < count; c++) {
      const j = touched[c]!;
      const n = together[j]!;
      const cosine = dot[j]! / (norms[i]! * norms[j]!);
      score[j] = shrink === 0 ? cosine : cosine * (n / (n + shrink));
    }
    const best = topK(touched, count, score, keep);
    lists.push(Int32Array.from(best));
    scores.push(Float64Array.from(best, (j) => score[j]!));
    for (let c = 0; c < count; c++) {
      const j = touched[c]!;
      dot[j] = 0;
      together[j] = 0;
    }
  }
  return { lists, scores };
}
