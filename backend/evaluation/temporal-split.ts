/**
 * Temporal hold-out split for next-items evaluation.
 *
 * One global cut time T splits the log: training = interactions with ts < T, test =
 * interactions with ts ≥ T. A global cut (rather than a per-user leave-last-out) keeps the
 * future out of training for everyone, which is what a model trained yesterday and
 * served today faces; random or per-user splits leak later popularity into training and
 * overstate accuracy (Meng, McCreadie, Macdonald & Ounis, "Exploring data splitting
 * strategies for the evaluation of recommendation models", RecSys 2020; Ji et al., "A
 * critical study on data leakage in recommender system offline evaluation", TOIS 2023).
 *
 * Choices:
 * - T is a quantile. By default of the interactions' timestamps (the last 20% of
 *   interactions are test), because activity is uneven in time (retail peaks before
 *   Christmas) and a calendar cut would make the test share depend on the season;
 *   `by: "time"` cuts at the same fraction of the calendar span instead, and `cutTs`
 *   sets T explicitly.
 * - Events at exactly T are test. Events sharing a timestamp (the lines of one invoice)
 *   therefore always fall on the same side, so a basket is never split.
 * - Warm users have at least one positive training interaction. Their relevant set is the
 *   distinct items they interacted with positively after T and never interacted with in
 *   any way before T ("next new items"): re-purchases are a different task and would
 *   reward simply repeating the history, which `evaluate` excludes from the lists.
 * - Warm users with no new items after T are dropped (every metric is undefined for
 *   them) and counted in the stats.
 * - Cold users have no positive training interaction; their relevant set is their
 *   positive test items. They are reported separately: only non-personalised signals can
 *   serve them.
 * - Test items never seen in training stay in the relevant sets (no model can retrieve
 *   them; removing them would flatter every model). Their count is in the stats.
 */
import { isPositive, type Interaction } from "./interactions.js";

export interface SplitOptions {
  /** Share of the log to hold out, in (0, 1). Default 0.2. */
  readonly testFraction?: number;
  /** What the quantile is taken over. Default "interactions". */
  readonly by?: "interactions" | "time";
  /** An explicit cut time (epoch ms); overrides testFraction and by. */
  readonly cutTs?: number;
}

export interface TestUser {
  readonly user_id: string;
  /** Distinct items with positive training interactions, oldest last touch first. */
  readonly history: readonly string[];
  /** Every item the user touched in training, positive or not: never recommended. */
  readonly seen: readonly string[];
  /** Held-out items the user interacted with positively after the cut. */
  readonly relevant: readonly string[];
}

export interface SplitStats {
  readonly trainInteractions: number;
  readonly testInteractions: number;
  readonly warmUsers: number;
  readonly coldUsers: number;
  readonly warmUsersWithoutNewItems: number;
  readonly relevantPairs: number;
  readonly relevantPairsOutsideCatalog: number;
}

export interface TemporalSplit {
  readonly cutTs: number;
  readonly train: readonly Interaction[];
  readonly warm: readonly TestUser[];
  readonly cold: readonly TestUser[];
  /** Items with at least one positive training interaction: what a model can recommend. */
  readonly catalog: ReadonlySet<string>;
  readonly stats: SplitStats;
}

export function cutTimestamp(log: readonly Interaction[], options: SplitOptions = {}): number {
  if (options.cutTs !== undefined) return options.cutTs;
  const fraction = options.testFraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${fraction}`);
  if (log.length === 0) throw new RangeError("cannot split an empty log");
  if (options.by === "time") {
    let min = Infinity;
    let max = -Infinity;
    for (const e of log) {
      if (e.ts < min) min = e.ts;
      if (e.ts > max) max = e.ts;
    }
    return min + (1 - fraction) * (max - min);
  }
  const sorted = Float64Array.from(log, (e) => e.ts).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((1 - fraction) * sorted.length))]!;
}

interface TrainProfile {
  readonly lastPositive: Map<string, number>;
  readonly seen: Set<string>;
}

function trainProfiles(train: readonly Interaction[]): Map<string, TrainProfile> {
  const profiles = new Map<string, TrainProfile>();
  for (const e of train) {
    let p = profiles.get(e.user_id);
    if (!p) profiles.set(e.user_id, (p = { lastPositive: new Map(), seen: new Set() }));
    p.seen.add(e.item_id);
    if (isPositive(e) && (p.lastPositive.get(e.item_id) ?? -Infinity) <= e.ts) p.lastPositive.set(e.item_id, e.ts);
  }
  return profiles;
}

function historyOf(p: TrainProfile | undefined): string[] {
  if (!p) return [];
  return [...p.lastPositive.entries()].sort((a, b) => a[1] - b[1]).map(([item]) => item);
}

export function temporalSplit(log: readonly Interaction[], options: SplitOptions = {}): TemporalSplit {
  const cutTs = cutTimestamp(log, options);
  const train = log.filter((e) => e.ts < cutTs);
  const test = log.filter((e) => e.ts >= cutTs);
  const profiles = trainProfiles(train);
  const catalog = new Set(train.filter(isPositive).map((e) => e.item_id));

  const testItems = new Map<string, Set<string>>();
  for (const e of test) {
    if (!isPositive(e)) continue;
    let items = testItems.get(e.user_id);
    if (!items) testItems.set(e.user_id, (items = new Set()));
    items.add(e.item_id);
  }

  const warm: TestUser[] = [];
  const cold: TestUser[] = [];
  let withoutNew = 0;
  let relevantPairs = 0;
  let outside = 0;
  for (const [user_id, items] of testItems) {
    const profile = profiles.get(user_id);
    const history = historyOf(profile);
    const seen = profile ? [...profile.seen] : [];
    const relevant = [...items].filter((i) => !profile?.seen.has(i));
    const isWarm = history.length > 0;
    if (relevant.length === 0) {
      if (isWarm) withoutNew++;
      continue;
    }
    (isWarm ? warm : cold).push({ user_id, history, seen, relevant });
    if (isWarm) {
      relevantPairs += relevant.length;
      outside += relevant.filter((i) => !catalog.has(i)).length;
    }
  }
  const stats: SplitStats = {
    trainInteractions: train.length,
    testInteractions: test.length,
    warmUsers: warm.length,
    coldUsers: cold.length,
    warmUsersWithoutNewItems: withoutNew,
    relevantPairs,
    relevantPairsOutsideCatalog: outside,
  };
  return { cutTs, train, warm, cold, catalog, stats };
}
