/**
 * The pruned item × item weight table of an EASE model (backend/training/ease.ts,
 * Steck, WWW 2019) as the edge serves it: for each item, the items it speaks for (or
 * against) most, with their weights. A user's score for item j is the sum of the
 * weights on j over the items in their history: a sparse gather-sum, no graph to run.
 *
 * File format (role "item_weights", `item-weights.bin`), little-endian:
 *   bytes 0–3   magic "EIW1"
 *   bytes 4–7   uint32 n, items (rows, in items.json order)
 *   bytes 8–11  uint32 k, entries per row
 *   then n·k int32 column indices (−1 pads a short row), then n·k float32 weights.
 * 8 bytes per entry: 3,665 items × 100 entries is 2.9 MB.
 */
export interface ItemWeights {
  readonly items: number;
  readonly keep: number;
  readonly indices: Int32Array;
  readonly weights: Float32Array;
}

const MAGIC = 0x31574945; // "EIW1" read little-endian

export function encodeItemWeights(t: ItemWeights): Uint8Array {
  const bytes = new Uint8Array(12 + 8 * t.items * t.keep);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, t.items, true);
  view.setUint32(8, t.keep, true);
  const n = t.items * t.keep;
  for (let e = 0; e < n; e++) view.setInt32(12 + 4 * e, t.indices[e]!, true);
  for (let e = 0; e < n; e++) view.setFloat32(12 + 4 * n + 4 * e, t.weights[e]!, true);
  return bytes;
}

/** Throws with the reason when the bytes are not a table for `items` items. */
export function decodeItemWeights(bytes: Uint8Array, items: number): ItemWeights {
  if (bytes.byteLength < 12) throw new Error("item weights: shorter than the 12-byte header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new Error("item weights: not an EIW1 file");
  const n = view.getUint32(4, true);
  const keep = view.getUint32(8, true);
  if (n !== items) throw new Error(`item weights: ${n} rows for ${items} items`);
  if (bytes.byteLength !== 12 + 8 * n * keep) throw new Error(`item weights: ${bytes.byteLength} bytes, expected ${12 + 8 * n * keep}`);
  const entries = n * keep;
  const indices = new Int32Array(entries);
  const weights = new Float32Array(entries);
  for (let e = 0; e < entries; e++) {
    const j = view.getInt32(12 + 4 * e, true);
    if (j < -1 || j >= n) throw new Error(`item weights: column ${j} out of range at entry ${e}`);
    indices[e] = j;
  }
  for (let e = 0; e < entries; e++) weights[e] = view.getFloat32(12 + 4 * entries + 4 * e, true);
  return { items: n, keep, indices, weights };
}

/**
 * Scores of every item reached from the history: the sum over history rows of their kept
 * weights. `out` (one slot per item) must be all zeros on entry and is left holding the
 * scores; the returned list names the slots written, so a caller can read them and zero
 * them again without touching the whole catalog.
 */
export function gatherScores(t: ItemWeights, history: ArrayLike<number>, out: Float64Array): number[] {
  const touched: number[] = [];
  for (let h = 0; h < history.length; h++) {
    const off = history[h]! * t.keep;
    for (let r = 0; r < t.keep; r++) {
      const j = t.indices[off + r]!;
      if (j < 0) break;
      if (out[j] === 0) touched.push(j);
      out[j] = out[j]! + t.weights[off + r]!;
    }
  }
  // A sum can return to exactly 0 and be pushed again; callers want each slot once.
  return touched.length > 1 ? [...new Set(touched)] : touched;
}

export interface WeightedRetrieval {
  /** [row, score] of the best `k` reached rows with a score above zero, best first (ties: lower row). */
  readonly top: Array<[number, number]>;
  /** Any row's score; 0 for rows the history does not reach. */
  readonly scoreOf: (row: number) => number;
}

/**
 * Retrieval with the table: gather-sum over the history rows, then the best `k` rows the
 * caller accepts. The history rows themselves are never returned. Shared by the edge and
 * the trainer's replay, so both order candidates with the same arithmetic.
 */
export function weightedRetrieval(t: ItemWeights, history: readonly number[], k: number, accept: (row: number) => boolean): WeightedRetrieval {
  const scores = scratchFor(t.items);
  const touched = gatherScores(t, history, scores);
  const own = new Set(history);
  const reached = new Map<number, number>();
  for (const j of touched) {
    reached.set(j, scores[j]!);
    scores[j] = 0;
  }
  const top = touched
    .filter((j) => reached.get(j)! > 0 && !own.has(j) && accept(j))
    .sort((a, b) => reached.get(b)! - reached.get(a)! || a - b)
    .slice(0, k)
    .map((j): [number, number] => [j, reached.get(j)!]);
  return { top, scoreOf: (j) => reached.get(j) ?? 0 };
}

/**
 * One zeroed slot per item, shared by every call and left zeroed again before the call
 * returns: a request allocates in proportion to the rows its history reaches, never
 * to the catalog (a 100k-item catalog would otherwise cost 800 kB of garbage a list).
 */
let scratch = new Float64Array(0);
function scratchFor(items: number): Float64Array {
  if (scratch.length < items) scratch = new Float64Array(items);
  return scratch;
}

export interface ItemRetrieval {
  /** Best items by score, above zero, none excluded and none from the history. */
  readonly top: Array<[string, number]>;
  readonly scoreOf: (id: string) => number | null;
}

/**
 * weightedRetrieval by item id: the history's distinct known items with positive weight
 * are the rows summed. Null when the history has no such item. The edge and the
 * trainer's replay both call this, so they retrieve with the same code.
 */
export function retrieveItems(
  t: ItemWeights,
  ids: readonly string[],
  index: ReadonlyMap<string, number>,
  history: ReadonlyArray<{ readonly item_id: string; readonly weight: number }>,
  k: number,
  exclude: ReadonlySet<string>,
): ItemRetrieval | null {
  const rows = new Set<number>();
  for (const e of history) {
    const i = e.weight > 0 ? index.get(e.item_id) : undefined;
    if (i !== undefined) rows.add(i);
  }
  if (rows.size === 0) return null;
  const found = weightedRetrieval(t, [...rows], k, (j) => !exclude.has(ids[j]!));
  return {
    top: found.top.map(([j, score]): [string, number] => [ids[j]!, score]),
    scoreOf: (id) => {
      const j = index.get(id);
      return j === undefined ? null : found.scoreOf(j);
    },
  };
}
