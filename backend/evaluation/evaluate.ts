/**
 * Offline evaluation of a recommender on a split (temporal or random per user): fit on the training part,
 * ask for one list per test user (the user's training items excluded, as the service
 * excludes consumed items), and average the metrics of `metrics.ts` per user group and K.
 *
 * One list of length max(K) is requested per user and its prefixes are scored, so every
 * K sees the same ranking. Warm and cold users are separate rows because their averages
 * answer different questions (personalisation vs. the cold-start fallback) and mixing
 * them would let the group sizes decide the headline number.
 */
import { assertK, averagePrecisionAtK, catalogCoverage, hitRateAtK, mean, ndcgAtK, precisionAtK, recallAtK } from "./metrics.js";
import type { Recommender } from "./baselines.js";
import type { Interaction } from "./interactions.js";
import type { TestUser } from "./temporal-split.js";

/**
 * What evaluate() needs from a split, so the temporal split (protocol T) and the random
 * per-user split (protocol R) are scored by the same code.
 */
export interface EvaluationSplit {
  readonly train: readonly Interaction[];
  readonly warm: readonly TestUser[];
  readonly cold: readonly TestUser[];
  /** Items with a positive training interaction: what a model can recommend. */
  readonly catalog: ReadonlySet<string>;
}

export interface EvaluateOptions {
  readonly k: readonly number[];
}

export type UserGroup = "warm" | "cold";

export interface MetricsRow {
  readonly model: string;
  readonly group: UserGroup;
  readonly k: number;
  readonly users: number;
  readonly recall: number;
  readonly precision: number;
  readonly ndcg: number;
  readonly map: number;
  readonly hitRate: number;
  readonly coverage: number;
}

export interface Evaluation {
  readonly rows: MetricsRow[];
  readonly fitMs: number;
  readonly recommendMs: number;
  readonly lists: number;
}

function listsFor(model: Recommender, users: readonly TestUser[], k: number): string[][] {
  return users.map((u) => model.recommendUser?.(u, k, new Set(u.seen)) ?? model.recommend(u.history, k, new Set(u.seen)));
}

/** Metrics for one group at one K; pure, so it is tested without any model. */
export function scoreGroup(
  model: string,
  group: UserGroup,
  users: readonly TestUser[],
  lists: readonly (readonly string[])[],
  catalog: ReadonlySet<string>,
  k: number,
): MetricsRow {
  const relevant = users.map((u) => new Set(u.relevant));
  const per = (f: (l: readonly string[], r: ReadonlySet<string>, k: number) => number) => mean(lists.map((l, i) => f(l, relevant[i]!, k)));
  return {
    model,
    group,
    k,
    users: users.length,
    recall: per(recallAtK),
    precision: per(precisionAtK),
    ndcg: per(ndcgAtK),
    map: per(averagePrecisionAtK),
    hitRate: per(hitRateAtK),
    coverage: users.length === 0 ? NaN : catalogCoverage(lists, catalog, k),
  };
}

export function evaluate(model: Recommender, split: EvaluationSplit, options: EvaluateOptions): Evaluation {
  if (options.k.length === 0) throw new RangeError("at least one K is required");
  options.k.forEach(assertK);
  const maxK = Math.max(...options.k);
  const t0 = performance.now();
  model.fit(split.train);
  const t1 = performance.now();
  const groups = [
    ["warm", split.warm, listsFor(model, split.warm, maxK)],
    ["cold", split.cold, listsFor(model, split.cold, maxK)],
  ] as const;
  const t2 = performance.now();
  const rows = groups.flatMap(([group, users, lists]) => options.k.map((k) => scoreGroup(model.name, group, users, lists, split.catalog, k)));
  return { rows, fitMs: t1 - t0, recommendMs: t2 - t1, lists: split.warm.length + split.cold.length };
}

const COLUMNS: readonly [string, (r: MetricsRow) => string][] = [
  ["model", (r) => r.model],
  ["users", (r) => r.group],
  ["n", (r) => String(r.users)],
  ["K", (r) => String(r.k)],
  ["Recall", (r) => fixed(r.recall)],
  ["Precision", (r) => fixed(r.precision)],
  ["NDCG", (r) => fixed(r.ndcg)],
  ["MAP", (r) => fixed(r.map)],
  ["HitRate", (r) => fixed(r.hitRate)],
  ["Coverage", (r) => fixed(r.coverage)],
];

function fixed(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : "n/a";
}

/** An aligned plain-text table: text columns left-aligned, numbers right-aligned. */
export function formatReport(rows: readonly MetricsRow[]): string {
  const cells = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const leftAligned = 2;
  const line = (row: readonly string[]) =>
    row
      .map((v, c) => (c < leftAligned ? v.padEnd(widths[c]!) : v.padStart(widths[c]!)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join("\n");
}
