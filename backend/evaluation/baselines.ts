/**
 * Baseline recommenders for offline evaluation, with the fit/recommend shape of the
 * implicit and Gorse libraries so stronger models can be dropped in beside them.
 *
 * Popularity: score(i) = Σ of interaction weights on i. Non-personalised; the baseline
 *   every personalised model must beat (Cremonesi, Koren & Turrin, "Performance of
 *   recommender algorithms on top-N recommendation tasks", RecSys 2010).
 *
 * Item-kNN: item-based collaborative filtering (Sarwar, Karypis, Konstan & Riedl,
 *   "Item-based collaborative filtering recommendation algorithms", WWW 2001; top-N form:
 *   Deshpande & Karypis, "Item-based top-N recommendation algorithms", TOIS 2004).
 *   r_ui = Σ weights of u's positive interactions with i (the user–item matrix);
 *   sim(i, j) = Σ_u r_ui r_uj / (‖r_·i‖ ‖r_·j‖)   (cosine over item columns);
 *   only each item's N most similar items are kept;
 *   score(j | history H) = Σ_{i ∈ H} sim(i, j).
 *   Similarities are computed sparsely, walking item → its users → their items, so the
 *   cost is Σ_u |I_u|² rather than |I|² · |U|.
 *   When a user's history yields fewer than k candidates (cold users, rare items) the
 *   list is filled from popularity, as a served system would; `fillFromPopularity:
 *   false` turns that off to measure the neighbourhood alone.
 *
 * Only positive interactions (weight > 0) are used for fitting.
 */
import { isPositive, type Interaction } from "./interactions.js";
import { topK } from "./top-k.js";
import { itemCosineNeighbours } from "./item-cosine.js";
import { toCsr, transpose, type Csr } from "./sparse-rows.js";
import type { TestUser } from "./temporal-split.js";

export interface Recommender {
  readonly name: string;
  fit(train: readonly Interaction[]): void;
  /**
   * At most k item ids, best first, none in `exclude`. `history` is the user's
   * positively touched items (any order); unknown items are ignored.
   */
  recommend(history: readonly string[], k: number, exclude: ReadonlySet<string>): string[];
  /**
   * Optional: a list for a known test user, for models that need more than the item ids
   * (timestamps, weights); evaluate() prefers it when present.
   */
  recommendUser?(user: TestUser, k: number, exclude: ReadonlySet<string>): string[];
}

/** Dense integer ids for strings, in first-seen order. */
class Index {
  readonly ids: string[] = [];
  private readonly byId = new Map<string, number>();
  of(id: string): number {
    let i = this.byId.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.byId.set(id, i);
      this.ids.push(id);
    }
    return i;
  }
  get(id: string): number | undefined {
    return this.byId.get(id);
  }
  get size(): number {
    return this.ids.length;
  }
}

export class Popularity implements Recommender {
  readonly name = "popularity";
  private items = new Index();
  private order = new Int32Array(0);

  fit(train: readonly Interaction[]): void {
    this.items = new Index();
    const totals: number[] = [];
    for (const e of train) {
      if (!isPositive(e)) continue;
      const i = this.items.of(e.item_id);
      totals[i] = (totals[i] ?? 0) + e.weight;
    }
    const scores = Float64Array.from(totals);
    const all = Array.from(scores.keys());
    this.order = Int32Array.from(all.sort((a, b) => scores[b]! - scores[a]! || a - b));
  }

  recommend(_history: readonly string[], k: number, exclude: ReadonlySet<string>): string[] {
    const out: string[] = [];
    for (let r = 0; r < this.order.length && out.length < k; r++) {
      const id = this.items.ids[this.order[r]!]!;
      if (!exclude.has(id)) out.push(id);
    }
    return out;
  }
}

/** Compressed sparse rows: row r's entries are cols/vals[ptr[r] .. ptr[r+1]). */

export interface ItemKnnOptions {
  /** Neighbours kept per item. Default 50. */
  readonly neighbours?: number;
  /** Fill short lists from popularity. Default true. */
  readonly fillFromPopularity?: boolean;
}

export class ItemKnn implements Recommender {
  readonly name: string;
  private readonly neighbours: number;
  private readonly fallback: Popularity | null;
  private items = new Index();
  private nbr: Csr = { ptr: new Int32Array(1), cols: new Int32Array(0), vals: new Float64Array(0) };
  // Reused across calls so recommending allocates per candidate, not per catalog item.
  private scores = new Float64Array(0);

  constructor(options: ItemKnnOptions = {}) {
    this.neighbours = options.neighbours ?? 50;
    if (!Number.isInteger(this.neighbours) || this.neighbours < 1) {
      throw new RangeError(`neighbours must be a positive integer, got ${this.neighbours}`);
    }
    this.fallback = options.fillFromPopularity === false ? null : new Popularity();
    this.name = `item-kNN (N=${this.neighbours}${this.fallback ? ", popularity fill" : ""})`;
  }

  fit(train: readonly Interaction[]): void {
    const users = new Index();
    this.items = new Index();
    const rows: Map<number, number>[] = [];
    for (const e of train) {
      if (!isPositive(e)) continue;
      const u = users.of(e.user_id);
      const i = this.items.of(e.item_id);
      const row = (rows[u] ??= new Map());
      row.set(i, (row.get(i) ?? 0) + e.weight);
    }
    const userItems = toCsr(rows);
    const itemUsers = transpose(userItems, this.items.size);
    this.nbr = this.similarities(userItems, itemUsers);
    this.scores = new Float64Array(this.items.size);
    this.fallback?.fit(train);
  }

  private similarities(userItems: Csr, itemUsers: Csr): Csr {
    const { lists, scores } = itemCosineNeighbours(userItems, itemUsers, this.items.size, this.neighbours);
    return toCsr(lists.map((list, i) => new Map(Array.from(list, (j, r) => [j, scores[i]![r]!]))));
  }

  /** The kept neighbours of an item with their cosine similarities, most similar first. */
  neighboursOf(itemId: string): [string, number][] {
    const i = this.items.get(itemId);
    if (i === undefined) return [];
    const out: [string, number][] = [];
    for (let p = this.nbr.ptr[i]!; p < this.nbr.ptr[i + 1]!; p++) out.push([this.items.ids[this.nbr.cols[p]!]!, this.nbr.vals[p]!]);
    return out;
  }

  recommend(history: readonly string[], k: number, exclude: ReadonlySet<string>): string[] {
    const candidates: number[] = [];
    const own = new Set<number>();
    for (const id of history) {
      const i = this.items.get(id);
      if (i === undefined || own.has(i)) continue;
      own.add(i);
      for (let p = this.nbr.ptr[i]!; p < this.nbr.ptr[i + 1]!; p++) {
        const j = this.nbr.cols[p]!;
        if (this.scores[j] === 0) candidates.push(j);
        this.scores[j]! += this.nbr.vals[p]!;
      }
    }
    const ids = this.items.ids;
    const best = topK(candidates, candidates.length, this.scores, k, (j) => !own.has(j) && !exclude.has(ids[j]!));
    for (const j of candidates) this.scores[j] = 0;
    const out = best.map((j) => ids[j]!);
    return this.fallback && out.length < k ? this.fill(out, history, k, exclude) : out;
  }

  private fill(out: string[], history: readonly string[], k: number, exclude: ReadonlySet<string>): string[] {
    const skip = new Set([...exclude, ...history, ...out]);
    return out.concat(this.fallback!.recommend([], k - out.length, skip));
  }
}
