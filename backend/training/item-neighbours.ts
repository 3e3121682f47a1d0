/**
 * Item-to-item neighbour lists ("similar items", "bought together"), computed offline
 * from the interaction log and the catalog. Pure: no I/O, no clock, no randomness.
 *
 * similarItems — three signals, in order of trust:
 *
 * 1. Co-occurrence: item-based collaborative filtering (Sarwar, Karypis, Konstan &
 *    Riedl, "Item-based collaborative filtering recommendation algorithms", WWW 2001;
 *    top-N form: Deshpande & Karypis, "Item-based top-N recommendation algorithms",
 *    ACM TOIS 22(1), 2004). r_ui = Σ of u's positive weights on i, optionally
 *    log(1 + sum/ε) so one obsessive user cannot make an item look similar to
 *    everything they touched;
 *      cos(i, j) = Σ_u r_ui r_uj / (‖r_·i‖ ‖r_·j‖),
 *      sim(i, j) = cos(i, j) · n_ij / (n_ij + shrink),   n_ij = users who touched both.
 *    Cosine alone rates two items touched by the same single user as perfectly
 *    similar; the shrinkage factor (Koren, "Factorization meets the neighborhood",
 *    KDD 2008, eq. 2, there for Pearson) discounts similarities resting on few users.
 *    Computed sparsely, item → its users → their items, so the cost is Σ_u |I_u|²
 *    and never |I|²·|U|. Users with more than `maxItemsPerUser` distinct items (resellers,
 *    bots, test accounts) contribute only their most recent ones: they add nothing
 *    specific about taste and would otherwise dominate the quadratic cost.
 *
 * 2. Content: TF-IDF cosine (Salton & Buckley, "Term-weighting approaches in automatic
 *    text retrieval", Information Processing & Management 24(5), 1988) over the
 *    catalog: lower-cased title words (≥ 2 characters), whole tags as `tag:<tag>` and
 *    the category as `category:<category>`. Tags and categories are curated labels, so
 *    they match only as a whole (a tag "trail running" should not match every title
 *    containing "running"); the prefixes keep a title word from matching a tag of the
 *    same spelling, because the two carry different evidence.
 *      w_td = tf_td · ln(1 + D/df_t)   (D = catalog items with any token),
 *    each item's vector L2-normalised. The smoothed idf stays positive, so a token
 *    every item has (one category across a small catalog) still counts a little
 *    instead of vanishing, which matters for tiny catalogs.
 *
 *    Content fills lists that co-occurrence cannot: items touched by nobody (catalog
 *    only) get content neighbours alone; items with co-occurrence lists shorter than
 *    N are filled up to N; items with fewer than `minSupport` interacting users give
 *    up to ⌈N/2⌉ of their co-occurrence slots to content (as many as there are content
 *    neighbours), because a co-occurrence ranking carried by one or two users is mostly
 *    the accident of what else those users happened to buy.
 *
 *    Scale: a content neighbour's score is contentWeight · cos_tfidf · floor_i, where
 *    floor_i is the lowest co-occurrence score kept in item i's list (1 when it has
 *    none) and contentWeight < 1. So every content neighbour ranks strictly below
 *    every co-occurrence neighbour of the same item (behavioural evidence beats
 *    textual resemblance), content neighbours keep their TF-IDF order among
 *    themselves, and a content-only list has scores in [0, contentWeight]. Serving
 *    normalises each list by its maximum, so only the order within a list and the
 *    ratio between its sources matter.
 *
 * boughtTogether — association rules (Agrawal, Imieliński & Swami, "Mining association
 *   rules between sets of items in large databases", SIGMOD 1993) scored by lift
 *   (Brin, Motwani, Ullman & Tsur, "Dynamic itemset counting and implication rules for
 *   market basket data", SIGMOD 1997, there called "interest"):
 *     lift(a, b) = P(a, b) / (P(a) P(b)) = N · n_ab / (n_a n_b),
 *   over N baskets, n_a = baskets containing a. A basket is either what `basket(e)`
 *   names (an order id) or a user's purchases within `windowMs` of the first one of the
 *   window (windows are anchored at a purchase and do not overlap, so every pair in a
 *   basket is at most windowMs apart; a pair straddling two windows is not counted).
 *   Raw lift is largest for the rarest items (two baskets holding the only two sales
 *   of a and b give lift N/2), so it is shrunk towards 1, independence:
 *     score(a, b) = (n_ab + s) / (E_ab + s),   E_ab = n_a n_b / N (expected count),
 *   as if s extra baskets had been seen with exactly the expected count — the pseudo-
 *   count form of the empirical-Bayes shrinkage of observed/expected ratios (DuMouchel,
 *   "Bayesian data mining in large frequency tables", The American Statistician 53(3),
 *   1999). Only pairs seen in ≥ minCount baskets and more often than expected
 *   (n_ab > E_ab, lift > 1) are kept: a pair bought together less than chance is not
 *   "bought together".
 *
 * Output: for every known item (interacted or, for similarItems, in the catalog) its
 * list, possibly empty, best first; no item is its own neighbour; equal scores are
 * ordered by item_id, and ids are indexed in sorted order, so the result does not
 * depend on the order of the input records.
 */
import { itemCosineNeighbours } from "../evaluation/item-cosine.js";
import { transpose, type Csr } from "../evaluation/sparse-rows.js";
import type { CatalogItem } from "../../models/catalog.js";
import { isPositive, type Interaction } from "../evaluation/interactions.js";
import { topK } from "../evaluation/top-k.js";
import { interactionStrength, type StrengthScaling } from "../../models/interaction-strength.js";

export type NeighbourSource = "co_occurrence" | "content" | "co_purchase";

export interface Neighbour {
  readonly item_id: string;
  readonly score: number;
  readonly source: NeighbourSource;
}

export type Neighbours = Map<string, Neighbour[]>;

export interface SimilarItemsOptions {
  /** Neighbours kept per item (N). Default 30. */
  readonly neighbours?: number;
  /** Items with fewer interacting users get half their list from content. Default 5. */
  readonly minSupport?: number;
  /** Shrinkage constant in sim · n/(n + shrink). Default 10: a pair shared by 10 users keeps half its cosine. */
  readonly shrink?: number;
  /** How a user's summed weight on an item becomes r_ui. Default linear. */
  readonly scaling?: StrengthScaling;
  /** Distinct items per user used for co-occurrence, most recent kept. Default 500. */
  readonly maxItemsPerUser?: number;
  /** Content scores are contentWeight · cos · (lowest co-occurrence score); in (0, 1). Default 0.5. */
  readonly contentWeight?: number;
}

/** A record boughtTogether can read: an evaluation interaction, optionally with an event type. */
export type PurchaseRecord = Interaction & { readonly type?: string };

export interface BoughtTogetherOptions {
  /** Neighbours kept per item. Default 30. */
  readonly neighbours?: number;
  /** Basket length when `basket` is not given, in ms. Default 24 h. */
  readonly windowMs?: number;
  /** Names the basket of a purchase (e.g. an order id); overrides windowMs. */
  readonly basket?: (e: PurchaseRecord) => string;
  /** Which records are purchases. Default: type === "purchase" when a type is present, else weight > 0. */
  readonly isPurchase?: (e: PurchaseRecord) => boolean;
  /** Fewest baskets a pair must share. Default 2. */
  readonly minCount?: number;
  /** Pseudo-count s in (n_ab + s)/(E_ab + s). Default 5. */
  readonly shrink?: number;
}

export const DEFAULT_NEIGHBOURS = 30;
export const DEFAULT_MIN_SUPPORT = 5;
export const DEFAULT_SHRINK = 10;
export const DEFAULT_MAX_ITEMS_PER_USER = 500;
export const DEFAULT_CONTENT_WEIGHT = 0.5;
export const DEFAULT_BASKET_WINDOW_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MIN_PAIR_COUNT = 2;
export const DEFAULT_LIFT_SHRINK = 5;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
  return value;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedIndex(ids: Iterable<string>): { ids: string[]; index: Map<string, number> } {
  const list = [...new Set(ids)].sort(compareIds);
  const index = new Map<string, number>();
  for (let i = 0; i < list.length; i++) index.set(list[i]!, i);
  return { ids: list, index };
}

/** Rows r's entries are cols/vals[ptr[r] .. ptr[r + 1]). */

/** Record indices grouped by row (a counting sort), each group in input order. */
function groupBy(rowOf: Int32Array, rows: number): { ptr: Int32Array; order: Int32Array } {
  const ptr = new Int32Array(rows + 1);
  for (let e = 0; e < rowOf.length; e++) ptr[rowOf[e]! + 1]!++;
  for (let r = 0; r < rows; r++) ptr[r + 1]! += ptr[r]!;
  const next = ptr.slice(0, rows);
  const order = new Int32Array(rowOf.length);
  for (let e = 0; e < rowOf.length; e++) order[next[rowOf[e]!]!++] = e;
  return { ptr, order };
}

/**
 * users × items with r_ui, from positive interactions: weights summed per cell, then
 * each user's cells cut to the `cap` most recently touched.
 */
function userItemMatrix(
  log: readonly Interaction[],
  userIndex: ReadonlyMap<string, number>,
  itemIndex: ReadonlyMap<string, number>,
  scaling: StrengthScaling,
  cap: number,
): Csr {
  const n = log.length;
  const userOf = new Int32Array(n);
  const itemOf = new Int32Array(n);
  for (let e = 0; e < n; e++) {
    userOf[e] = userIndex.get(log[e]!.user_id)!;
    itemOf[e] = itemIndex.get(log[e]!.item_id)!;
  }
  const nUsers = userIndex.size;
  const { ptr: byUser, order } = groupBy(userOf, nUsers);
  // One slot per item, reset after each user: merging a user's repeats costs O(|events|).
  const slot = new Int32Array(itemIndex.size).fill(-1);
  const ptr = new Int32Array(nUsers + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  let cellItems: number[] = [];
  let cellSums: number[] = [];
  let cellLast: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    cellItems = [];
    cellSums = [];
    cellLast = [];
    for (let p = byUser[u]!; p < byUser[u + 1]!; p++) {
      const e = log[order[p]!]!;
      const i = itemOf[order[p]!]!;
      let s = slot[i]!;
      if (s < 0) {
        s = slot[i] = cellItems.length;
        cellItems.push(i);
        cellSums.push(0);
        cellLast.push(-Infinity);
      }
      cellSums[s]! += e.weight;
      if (e.ts > cellLast[s]!) cellLast[s] = e.ts;
    }
    let keep = cellItems.map((_, s) => s);
    if (keep.length > cap) {
      keep = keep.sort((a, b) => cellLast[b]! - cellLast[a]! || cellItems[a]! - cellItems[b]!).slice(0, cap);
    }
    keep.sort((a, b) => cellItems[a]! - cellItems[b]!);
    for (const s of keep) {
      cols.push(cellItems[s]!);
      vals.push(interactionStrength(cellSums[s]!, scaling));
    }
    for (const i of cellItems) slot[i] = -1;
    ptr[u + 1] = cols.length;
  }
  return { ptr, cols: Int32Array.from(cols), vals: Float64Array.from(vals) };
}

/**
 * Each item's co-occurrence neighbours (item indices, best first) with their shrunk
 * cosine scores in `scoreOf`, and the number of users behind each item.
 */
function coOccurrence(userItems: Csr, nItems: number, keep: number, shrink: number): { lists: Int32Array[]; scores: Float64Array[]; support: Int32Array } {
  const itemUsers = transpose(userItems, nItems);
  const support = Int32Array.from({ length: nItems }, (_, i) => itemUsers.ptr[i + 1]! - itemUsers.ptr[i]!);
  return { ...itemCosineNeighbours(userItems, itemUsers, nItems, keep, shrink), support };
}

/** Lower-cased title words (letters and digits, ≥ 2 characters), `tag:` and `category:` tokens. */
export function contentTokens(item: Pick<CatalogItem, "title" | "category" | "tags">): string[] {
  const words = item.title
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 2);
  const tags = (item.tags ?? []).map((t) => `tag:${t.trim().toLowerCase()}`).filter((t) => t.length > 4);
  const category = item.category?.trim() ? [`category:${item.category.trim().toLowerCase()}`] : [];
  return [...words, ...tags, ...category];
}

/** L2-normalised TF-IDF vectors of catalog items (rows by item index) and the inverted index. */
class ContentIndex {
  private readonly docs: Csr;
  private readonly postings: Csr;
  private readonly dot: Float64Array;
  private readonly touched: Int32Array;

  constructor(catalog: readonly CatalogItem[], itemIndex: ReadonlyMap<string, number>, nItems: number) {
    // Upsert semantics: a later record of the same item replaces an earlier one.
    const latest = new Map<number, CatalogItem>();
    for (const item of catalog) latest.set(itemIndex.get(item.item_id)!, item);
    const tokenIndex = new Map<string, number>();
    const df: number[] = [];
    const termCounts: (Map<number, number> | undefined)[] = new Array<Map<number, number> | undefined>(nItems);
    for (const [i, item] of latest) {
      const counts = new Map<number, number>();
      for (const token of contentTokens(item)) {
        let t = tokenIndex.get(token);
        if (t === undefined) {
          t = tokenIndex.size;
          tokenIndex.set(token, t);
          df.push(0);
        }
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      for (const t of counts.keys()) df[t]!++;
      if (counts.size > 0) termCounts[i] = counts;
    }
    const documents = termCounts.reduce((n, c) => (c ? n + 1 : n), 0);
    const ptr = new Int32Array(nItems + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    for (let i = 0; i < nItems; i++) {
      const counts = termCounts[i];
      if (counts) {
        const terms = [...counts.keys()].sort((a, b) => a - b);
        const weights = terms.map((t) => counts.get(t)! * Math.log(1 + documents / df[t]!));
        const norm = Math.hypot(...weights);
        terms.forEach((t, k) => {
          cols.push(t);
          vals.push(weights[k]! / norm);
        });
      }
      ptr[i + 1] = cols.length;
    }
    this.docs = { ptr, cols: Int32Array.from(cols), vals: Float64Array.from(vals) };
    this.postings = transpose(this.docs, tokenIndex.size);
    this.dot = new Float64Array(nItems);
    this.touched = new Int32Array(nItems);
  }

  hasDocument(i: number): boolean {
    return this.docs.ptr[i + 1]! > this.docs.ptr[i]!;
  }

  /** Up to k items by TF-IDF cosine with i (> 0), best first, none rejected by `accept`. */
  nearest(i: number, k: number, accept: (j: number) => boolean): { items: number[]; cosines: number[] } {
    const { docs, postings, dot, touched } = this;
    let count = 0;
    for (let p = docs.ptr[i]!; p < docs.ptr[i + 1]!; p++) {
      const t = docs.cols[p]!;
      const wi = docs.vals[p]!;
      for (let q = postings.ptr[t]!; q < postings.ptr[t + 1]!; q++) {
        const j = postings.cols[q]!;
        if (dot[j] === 0) touched[count++] = j;
        dot[j]! += wi * postings.vals[q]!;
      }
    }
    const items = topK(touched, count, dot, k, (j) => j !== i && accept(j));
    const cosines = items.map((j) => dot[j]!);
    for (let c = 0; c < count; c++) dot[touched[c]!] = 0;
    return { items, cosines };
  }
}

function byScoreThenId(a: Neighbour, b: Neighbour): number {
  return b.score - a.score || compareIds(a.item_id, b.item_id);
}

/**
 * Similar items for every item in the interactions or the catalog: co-occurrence
 * neighbours, filled with content neighbours where co-occurrence is short or thin.
 */
export function similarItems(interactions: readonly Interaction[], catalog: readonly CatalogItem[] = [], options: SimilarItemsOptions = {}): Neighbours {
  const N = positiveInteger("neighbours", options.neighbours ?? DEFAULT_NEIGHBOURS);
  const minSupport = nonNegative("minSupport", options.minSupport ?? DEFAULT_MIN_SUPPORT);
  const shrink = nonNegative("shrink", options.shrink ?? DEFAULT_SHRINK);
  const cap = positiveInteger("maxItemsPerUser", options.maxItemsPerUser ?? DEFAULT_MAX_ITEMS_PER_USER);
  const scaling = options.scaling ?? { kind: "linear" };
  if (scaling.kind === "log" && !(scaling.epsilon > 0)) throw new RangeError("log scaling needs epsilon > 0");
  const contentWeight = options.contentWeight ?? DEFAULT_CONTENT_WEIGHT;
  if (!(contentWeight > 0 && contentWeight < 1)) {
    throw new RangeError(`contentWeight must be in (0, 1) so content ranks below co-occurrence, got ${contentWeight}`);
  }

  const positive = interactions.filter(isPositive);
  const items = sortedIndex([...positive.map((e) => e.item_id), ...catalog.map((c) => c.item_id)]);
  const users = sortedIndex(positive.map((e) => e.user_id));
  const nItems = items.ids.length;
  const userItems = userItemMatrix(positive, users.index, items.index, scaling, cap);
  // Low-support items keep room for content: see the header.
  const reserved = Math.ceil(N / 2);
  const co = coOccurrence(userItems, nItems, N, shrink);
  const content = new ContentIndex(catalog, items.index, nItems);

  const out: Neighbours = new Map();
  for (let i = 0; i < nItems; i++) {
    const coItems = co.lists[i]!;
    const coScores = co.scores[i]!;
    const lowSupport = co.support[i]! < minSupport;
    let fill: { items: number[]; cosines: number[] } = { items: [], cosines: [] };
    if ((lowSupport || coItems.length < N) && content.hasDocument(i)) {
      const inCo = new Set(coItems);
      fill = content.nearest(i, N, (j) => !inCo.has(j));
    }
    const reserve = lowSupport ? Math.min(reserved, fill.items.length) : 0;
    const coKept = Math.min(coItems.length, N - reserve);
    const list: Neighbour[] = [];
    for (let c = 0; c < coKept; c++) {
      list.push({ item_id: items.ids[coItems[c]!]!, score: coScores[c]!, source: "co_occurrence" });
    }
    const floor = coKept > 0 ? coScores[coKept - 1]! : 1;
    for (let c = 0; c < fill.items.length && list.length < N; c++) {
      list.push({ item_id: items.ids[fill.items[c]!]!, score: contentWeight * fill.cosines[c]! * floor, source: "content" });
    }
    // topK already orders each source; this pins the id tie-break across rounding of the content scale.
    out.set(items.ids[i]!, list.sort(byScoreThenId));
  }
  return out;
}

function defaultIsPurchase(e: PurchaseRecord): boolean {
  return e.type === undefined ? e.weight > 0 : e.type === "purchase";
}

/** Baskets as rows of distinct item indices. */
function basketsOf(purchases: readonly PurchaseRecord[], itemIndex: ReadonlyMap<string, number>, options: BoughtTogetherOptions): Csr {
  const rows: number[][] = [];
  if (options.basket) {
    const byKey = new Map<string, number[]>();
    for (const e of purchases) {
      const key = options.basket(e);
      let row = byKey.get(key);
      if (!row) byKey.set(key, (row = []));
      row.push(itemIndex.get(e.item_id)!);
    }
    rows.push(...byKey.values());
  } else {
    const windowMs = nonNegative("windowMs", options.windowMs ?? DEFAULT_BASKET_WINDOW_MS);
    const users = sortedIndex(purchases.map((e) => e.user_id));
    const userOf = Int32Array.from(purchases, (e) => users.index.get(e.user_id)!);
    const { ptr, order } = groupBy(userOf, users.ids.length);
    for (let u = 0; u < users.ids.length; u++) {
      const mine = Array.from(order.subarray(ptr[u]!, ptr[u + 1]!)).sort(
        (a, b) => purchases[a]!.ts - purchases[b]!.ts || compareIds(purchases[a]!.item_id, purchases[b]!.item_id),
      );
      let start = -Infinity;
      let row: number[] = [];
      for (const e of mine) {
        const p = purchases[e]!;
        if (p.ts - start > windowMs) {
          if (row.length > 0) rows.push(row);
          row = [];
          start = p.ts;
        }
        row.push(itemIndex.get(p.item_id)!);
      }
      if (row.length > 0) rows.push(row);
    }
  }
  const ptr = new Int32Array(rows.length + 1);
  const cols: number[] = [];
  for (let b = 0; b < rows.length; b++) {
    for (const i of new Set(rows[b]!)) cols.push(i);
    ptr[b + 1] = cols.length;
  }
  return { ptr, cols: Int32Array.from(cols), vals: new Float64Array(cols.length) };
}

/** Items bought in the same basket more often than chance, by shrunk lift. */
export function boughtTogether(interactions: readonly PurchaseRecord[], options: BoughtTogetherOptions = {}): Neighbours {
  const N = positiveInteger("neighbours", options.neighbours ?? DEFAULT_NEIGHBOURS);
  const minCount = positiveInteger("minCount", options.minCount ?? DEFAULT_MIN_PAIR_COUNT);
  const s = nonNegative("shrink", options.shrink ?? DEFAULT_LIFT_SHRINK);
  const isPurchase = options.isPurchase ?? defaultIsPurchase;

  const purchases = interactions.filter(isPurchase);
  const items = sortedIndex(purchases.map((e) => e.item_id));
  const nItems = items.ids.length;
  const baskets = basketsOf(purchases, items.index, options);
  const nBaskets = baskets.ptr.length - 1;
  const itemBaskets = transpose(baskets, nItems);
  const together = new Int32Array(nItems);
  const touched = new Int32Array(nItems);
  const score = new Float64Array(nItems);
  const out: Neighbours = new Map();
  for (let a = 0; a < nItems; a++) {
    let count = 0;
    for (let p = itemBaskets.ptr[a]!; p < itemBaskets.ptr[a + 1]!; p++) {
      const b = itemBaskets.cols[p]!;
      for (let q = baskets.ptr[b]!; q < baskets.ptr[b + 1]!; q++) {
        const j = baskets.cols[q]!;
        if (j === a) continue;
        if (together[j] === 0) touched[count++] = j;
        together[j]!++;
      }
    }
    const na = itemBaskets.ptr[a + 1]! - itemBaskets.ptr[a]!;
    let kept = 0;
    for (let c = 0; c < count; c++) {
      const j = touched[c]!;
      const nab = together[j]!;
      const expected = (na * (itemBaskets.ptr[j + 1]! - itemBaskets.ptr[j]!)) / nBaskets;
      if (nab >= minCount && nab > expected) {
        score[j] = (nab + s) / (expected + s);
        touched[kept++] = j;
      }
      together[j] = 0;
    }
    const best = topK(touched, kept, score, N);
    out.set(items.ids[a]!, best.map((j) => ({ item_id: items.ids[j]!, score: score[j]!, source: "co_purchase" as const })).sort(byScoreThenId));
  }
  return out;
}
