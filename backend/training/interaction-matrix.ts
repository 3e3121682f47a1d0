/**
 * The users × items interaction matrix that iALS trains on, in compressed sparse row
 * (CSR) form, plus its transpose (items × users, i.e. CSC of the same matrix) because
 * the item half of each ALS iteration walks the matrix by item.
 *
 * Each cell holds r_ui, the interaction strength: the sum of the event weights of
 * every event the user had with the item (DEFAULT_EVENT_WEIGHTS: view 1, click 3, …),
 * optionally log-scaled, r = log(1 + sum/ε), the damping Hu, Koren and Volinsky
 * (ICDM 2008, §4) suggest so that one item viewed two hundred times does not drown
 * everything else. Cells whose sum is ≤ 0 (only dismissals, or negative weights
 * configured) are dropped: iALS has no notion of a negative preference, and a missing
 * cell already means "p = 0 with confidence 1".
 *
 * Construction is two stable counting sorts (by item, then by user), so rows come out
 * with ascending column indices and duplicates adjacent, in O(nnz + users + items)
 * time with no per-entry objects. Ids are sorted before indexing so that the same
 * interactions in any order give the same matrix — and hence, with a fixed seed, the
 * same model.
 */
import { interactionStrength, type StrengthScaling } from "../../models/interaction-strength.js";
import { DEFAULT_EVENT_WEIGHTS, type EventType } from "../../models/events.js";

export interface Interaction {
  user_id: string;
  item_id: string;
  type: EventType;
  /** Not used by the matrix yet; accepted so stored events can be passed as they are. */
  ts?: number;
}

/** Compressed sparse rows: row r's entries are indices/values[indptr[r] .. indptr[r+1]). */
export interface Csr {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

export type { StrengthScaling } from "../../models/interaction-strength.js";

export interface MatrixOptions {
  /** Overrides of DEFAULT_EVENT_WEIGHTS. */
  eventWeights?: Partial<Record<EventType, number>>;
  /** How the summed event weight becomes r_ui; linear unless given. */
  scaling?: StrengthScaling;
}

export interface InteractionMatrix {
  /** users × items. */
  byUser: Csr;
  /** items × users: the same cells, transposed. */
  byItem: Csr;
  userIds: string[];
  itemIds: string[];
  userIndex: Map<string, number>;
  itemIndex: Map<string, number>;
  scaling: StrengthScaling;
}

export { interactionStrength };

function indexIds(ids: Iterable<string>): { list: string[]; index: Map<string, number> } {
  const list = [...new Set(ids)].sort();
  const index = new Map<string, number>();
  for (let i = 0; i < list.length; i++) index.set(list[i]!, i);
  return { list, index };
}

/**
 * Stable counting sort of the entries `order` by `keys[order[k]]` ∈ [0, buckets);
 * returns the new order and the bucket start offsets (length buckets + 1).
 */
function countingSort(order: Int32Array, keys: Int32Array, buckets: number): { order: Int32Array; starts: Int32Array } {
  const starts = new Int32Array(buckets + 1);
  for (let k = 0; k < order.length; k++) starts[keys[order[k]!]! + 1]!++;
  for (let b = 0; b < buckets; b++) starts[b + 1]! += starts[b]!;
  const next = starts.slice(0, buckets);
  const sorted = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) {
    const e = order[k]!;
    sorted[next[keys[e]!]!++] = e;
  }
  return { order: sorted, starts };
}

/**
 * Merges adjacent duplicates (entries already sorted by row, then column), drops
 * cells with a non-positive sum and applies the strength scaling.
 */
function compress(order: Int32Array, rowOf: Int32Array, colOf: Int32Array, weight: Float64Array, rows: number, cols: number, scaling: StrengthScaling): Csr {
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(order.length);
  const values = new Float32Array(order.length);
  let nnz = 0;
  let k = 0;
  while (k < order.length) {
    const row = rowOf[order[k]!]!;
    const col = colOf[order[k]!]!;
    let sum = 0;
    while (k < order.length && rowOf[order[k]!] === row && colOf[order[k]!] === col) sum += weight[order[k++]!]!;
    if (sum > 0) {
      indices[nnz] = col;
      values[nnz] = interactionStrength(sum, scaling);
      nnz++;
      indptr[row + 1]!++;
    }
  }
  for (let r = 0; r < rows; r++) indptr[r + 1]! += indptr[r]!;
  return { rows, cols, indptr, indices: indices.slice(0, nnz), values: values.slice(0, nnz) };
}

/** The transpose of a CSR matrix, itself in CSR form with ascending column indices. */
export function transpose(m: Csr): Csr {
  const nnz = m.indices.length;
  const indptr = new Int32Array(m.cols + 1);
  for (let k = 0; k < nnz; k++) indptr[m.indices[k]! + 1]!++;
  for (let c = 0; c < m.cols; c++) indptr[c + 1]! += indptr[c]!;
  const next = indptr.slice(0, m.cols);
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  // Walking rows in order makes each transposed row's indices ascending.
  for (let r = 0; r < m.rows; r++) {
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) {
      const dest = next[m.indices[k]!]!++;
      indices[dest] = r;
      values[dest] = m.values[k]!;
    }
  }
  return { rows: m.cols, cols: m.rows, indptr, indices, values };
}

export function buildInteractionMatrix(interactions: readonly Interaction[], options: MatrixOptions = {}): InteractionMatrix {
  const weights = { ...DEFAULT_EVENT_WEIGHTS, ...options.eventWeights };
  const scaling = options.scaling ?? { kind: "linear" };
  if (scaling.kind === "log" && !(scaling.epsilon > 0)) throw new Error("log scaling needs epsilon > 0");
  const users = indexIds(interactions.map((e) => e.user_id));
  const items = indexIds(interactions.map((e) => e.item_id));
  const n = interactions.length;
  const rowOf = new Int32Array(n);
  const colOf = new Int32Array(n);
  const weight = new Float64Array(n);
  const identity = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const e = interactions[k]!;
    rowOf[k] = users.index.get(e.user_id)!;
    colOf[k] = items.index.get(e.item_id)!;
    const w = weights[e.type];
    // Types are validated at intake; an unknown one here would silently become NaN.
    if (typeof w !== "number") throw new Error(`buildInteractionMatrix: unknown event type ${String(e.type)}`);
    weight[k] = w;
    identity[k] = k;
  }
  // Radix sort: by item, then (stably) by user → row-major with ascending columns.
  const byItem = countingSort(identity, colOf, items.list.length);
  const byUserThenItem = countingSort(byItem.order, rowOf, users.list.length);
  const byUser = compress(byUserThenItem.order, rowOf, colOf, weight, users.list.length, items.list.length, scaling);
  return {
    byUser,
    byItem: transpose(byUser),
    userIds: users.list,
    itemIds: items.list,
    userIndex: users.index,
    itemIndex: items.index,
    scaling,
  };
}

/**
 * One user's interactions as fold-in input (ials.ts foldInUser): event weights summed
 * per item, then scaled exactly as buildInteractionMatrix does, so a session folded in
 * at the edge sees the same r_ui training saw. Items the model does not know are
 * skipped (nothing to fold them in against); cells that sum to ≤ 0 are dropped.
 */
export function historyFromInteractions(
  interactions: readonly Pick<Interaction, "item_id" | "type">[],
  itemIndex: ReadonlyMap<string, number>,
  options: MatrixOptions = {},
): { itemIndex: number; weight: number }[] {
  const weights = { ...DEFAULT_EVENT_WEIGHTS, ...options.eventWeights };
  const scaling = options.scaling ?? { kind: "linear" };
  const sums = new Map<number, number>();
  for (const e of interactions) {
    const index = itemIndex.get(e.item_id);
    if (index !== undefined) sums.set(index, (sums.get(index) ?? 0) + weights[e.type]);
  }
  const history: { itemIndex: number; weight: number }[] = [];
  for (const [index, sum] of [...sums].sort((a, b) => a[0] - b[0])) {
    if (sum > 0) history.push({ itemIndex: index, weight: interactionStrength(sum, scaling) });
  }
  return history;
}
