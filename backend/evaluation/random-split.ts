/**
 * Protocol R: the random per-user hold-out of the common top-N benchmarks (the
 * MovieLens tables of published libraries, e.g. Microsoft Recommenders' stratified
 * split; Liang et al., "Variational autoencoders for collaborative filtering", WWW 2018,
 * use the same per-user 80/20 idea on held-out users).
 *
 * - Every (user, item) pair with positive feedback is one implicit positive; repeats
 *   count once.
 * - Users with fewer than 2 distinct items are left out.
 * - Users in sorted id order; each user's items are shuffled once with a seeded
 *   generator; the first round(n · trainFraction) train, the rest test. The rounding is
 *   half-to-even, as in the reference scripts (Python's round), so a user with 2 items
 *   keeps both in train and has nothing to test: such users are dropped from the lists.
 * - The training log holds one interaction per train pair: its last timestamp and its
 *   largest weight, so time-aware models still see an order and weighted models one
 *   ordinary interaction.
 *
 * It answers "which of the items this user likes are we missing", not "what will they
 * do next" (that is the temporal split, protocol T); random splits leak later
 * popularity into training, so both are reported and neither replaces the other.
 */
import { mulberry32 } from "../../models/prng.js";
import { isPositive, type Interaction } from "./interactions.js";
import type { TestUser } from "./temporal-split.js";

export interface RandomSplitOptions {
  /** Share of each user's items that train. Default 0.75. */
  readonly trainFraction?: number;
  /** Seed of the per-user shuffles. Default 42. */
  readonly seed?: number;
}

/** Counts over the kept users (those with at least 2 distinct items). */
export interface RandomSplitStats {
  readonly users: number;
  readonly items: number;
  readonly positives: number;
  readonly usersLeftOut: number;
  readonly testUsers: number;
  readonly trainPairs: number;
  readonly testPairs: number;
}

export interface RandomSplit {
  readonly train: readonly Interaction[];
  /** Users with at least one test item; `relevant` are their held-out items. */
  readonly warm: readonly TestUser[];
  /** Always empty: every test user has training items under this protocol. */
  readonly cold: readonly TestUser[];
  readonly catalog: ReadonlySet<string>;
  readonly stats: RandomSplitStats;
}

interface Pair {
  readonly item_id: string;
  ts: number;
  weight: number;
}

/** Round half to even, as Python's round(): round(1.5) = 2, round(2.5) = 2. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function positivePairs(log: readonly Interaction[]): Map<string, Map<string, Pair>> {
  const byUser = new Map<string, Map<string, Pair>>();
  for (const e of log) {
    if (!isPositive(e)) continue;
    let items = byUser.get(e.user_id);
    if (!items) byUser.set(e.user_id, (items = new Map()));
    const pair = items.get(e.item_id);
    if (!pair) items.set(e.item_id, { item_id: e.item_id, ts: e.ts, weight: e.weight });
    else {
      pair.ts = Math.max(pair.ts, e.ts);
      pair.weight = Math.max(pair.weight, e.weight);
    }
  }
  return byUser;
}

/** Fisher–Yates with the given uniform generator. */
function shuffle<T>(values: T[], next: () => number): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
}

export function randomSplit(log: readonly Interaction[], options: RandomSplitOptions = {}): RandomSplit {
  const fraction = options.trainFraction ?? 0.75;
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`trainFraction must be in (0, 1), got ${fraction}`);
  const next = mulberry32(options.seed ?? 42);
  const byUser = positivePairs(log);
  const users = [...byUser.keys()].sort();
  const train: Interaction[] = [];
  const warm: TestUser[] = [];
  const items = new Set<string>();
  let positives = 0;
  let leftOut = 0;
  let testPairs = 0;
  for (const user_id of users) {
    const pairs = [...byUser.get(user_id)!.values()];
    if (pairs.length < 2) {
      leftOut++;
      continue;
    }
    positives += pairs.length;
    for (const p of pairs) items.add(p.item_id);
    const order = shuffle(pairs, next);
    const cut = roundHalfEven(order.length * fraction);
    const trained = order.slice(0, cut).sort((a, b) => a.ts - b.ts);
    for (const p of trained) train.push({ user_id, item_id: p.item_id, ts: p.ts, weight: p.weight });
    const relevant = order.slice(cut).map((p) => p.item_id);
    if (relevant.length === 0) continue;
    const history = trained.map((p) => p.item_id);
    warm.push({ user_id, history, seen: history, relevant });
    testPairs += relevant.length;
  }
  const stats: RandomSplitStats = {
    users: users.length - leftOut,
    items: items.size,
    positives,
    usersLeftOut: leftOut,
    testUsers: warm.length,
    trainPairs: train.length,
    testPairs,
  };
  return { train, warm, cold: [], catalog: new Set(train.map((e) => e.item_id)), stats };
}
