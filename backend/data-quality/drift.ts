/**
 * Input drift: has what users interact with moved away from what the serving model was
 * trained on? The reference is the champion's training window (its `data_window`), the
 * current population the events of the last `hours` (24 by default). For each monitored
 * feature of an event the two are binned alike and compared by PSI (psi.ts):
 *
 * - `event_type`: the mix of views, clicks, carts and purchases;
 * - `item_popularity`: where the event's item ranked in the reference, in deciles of
 *   reference events (bin 0 the head, 9 the tail), plus a bin for items the reference
 *   never saw: a shift to new or long-tail items shows here;
 * - `item_category`: the reference's 20 largest categories, "other" and "none";
 * - `item_price`: deciles of the reference's event-weighted prices, plus "no price".
 *
 * These are the inputs the ranking features are built from (popularity, category
 * affinity, price). One output is compared too:
 *
 * - `served_score`: the ranker's scores of the first SERVED_HEAD items of the lists the
 *   edge served for the champion (served_lists.scores), on the edges of the reference
 *   the trainer kept from replaying serving on its window (score-reference.ts). Only lists the
 *   ranker ordered carry scores; a version without a ranker, or trained before the
 *   reference was kept, has no such row.
 *
 * - `ranking_<name>`: each ranking feature of those head items, from the sampled lists
 *   the edge logs with their features (served_lists.features, FEATURE_LOG_SHARE), on the
 *   edges of the trainer's reference from the same replayed lists.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { resultRows } from "../db/result-rows.js";
import { currentChampion } from "../registry/model-registry.js";
import type { Alert } from "./data-quality.js";
import { binOf, psi, quantileEdges, shares } from "./psi.js";
import { SERVED_HEAD } from "../../models/events.js";
import { binCounts, scoreBinLabels, type FeatureReference, type ScoreReference } from "./score-reference.js";

export const DRIFT_FEATURES = ["event_type", "item_popularity", "item_category", "item_price", "served_score"] as const;
/** An event input, the served score, or `ranking_<name>` for a ranking feature. */
export type DriftFeature = (typeof DRIFT_FEATURES)[number] | `ranking_${string}`;

/** A current window with fewer events (or served scores) says little; drift waits for more. */
export const MIN_EVENTS_FOR_DRIFT = 200;
const TOP_CATEGORIES = 20;
const DECILES = 10;

export interface DriftBin {
  bin: string;
  reference: number;
  current: number;
}

export interface FeatureDrift {
  feature: DriftFeature;
  psi: number;
  bins: DriftBin[];
}

export interface DriftReport {
  /** The champion whose training window is the reference; null without one (nothing compared). */
  reference: { version: string; from: string; to: string; events: number } | null;
  current: { from: string; to: string; events: number };
  /**
   * The event inputs, without a champion or with fewer than MIN_EVENTS_FOR_DRIFT current
   * events none; then served_score, when the champion has a score reference and the edge
   * served at least MIN_EVENTS_FOR_DRIFT scores of it.
   */
  features: FeatureDrift[];
}

/** Events per (item, type) in a window, with the item's catalog facts (null: not in the catalog). */
interface ItemTally {
  itemId: string;
  type: string;
  n: number;
  category: string | null;
  price: number | null;
}

async function tallies(db: Db, from: Date, to: Date): Promise<ItemTally[]> {
  const rows = resultRows<{ item_id: string; type: string; n: number | string; category: string | null; price: number | string | null }>(
    await db.execute(sql`
      SELECT i.item_id, i.type, count(*) AS n, it.category, it.price
      FROM interactions i
      LEFT JOIN items it ON it.item_id = i.item_id
      WHERE i.ts >= ${from.toISOString()}::timestamptz AND i.ts < ${to.toISOString()}::timestamptz
      GROUP BY i.item_id, i.type, it.category, it.price`),
  );
  return rows.map((r) => ({ itemId: r.item_id, type: r.type, n: Number(r.n), category: r.category, price: r.price === null ? null : Number(r.price) }));
}

/**
 * The reference tallies of the champion last compared: its training window does not
 * change while it is the champion, and scanning it every few minutes would cost a
 * table scan of the whole window each time.
 */
export interface ReferenceCache {
  version: string | null;
  tallies: ItemTally[];
}

export function referenceCache(): ReferenceCache {
  return { version: null, tallies: [] };
}

export async function driftReport(db: Db, hours: number, now = new Date(), cache: ReferenceCache = referenceCache()): Promise<DriftReport> {
  const from = new Date(now.getTime() - hours * 3_600_000);
  const current = await tallies(db, from, now);
  const currentEvents = total(current);
  const base = { current: { from: from.toISOString(), to: now.toISOString(), events: currentEvents } };
  const champion = await currentChampion(db);
  if (!champion) return { ...base, reference: null, features: [] };
  const refFrom = new Date(champion.dataWindow.from);
  const refTo = new Date(champion.dataWindow.to);
  if (cache.version !== champion.version) {
    cache.tallies = await tallies(db, refFrom, refTo);
    cache.version = champion.version;
  }
  const reference = cache.tallies;
  const ref = { version: champion.version, from: refFrom.toISOString(), to: refTo.toISOString(), events: total(reference) };
  const inputs = currentEvents < MIN_EVENTS_FOR_DRIFT || ref.events === 0 ? [] : compareTallies(reference, current);
  const scoreRef = scoreReferenceOf(champion.params);
  const served = scoreRef ? compareServed(scoreRef, await servedScores(db, champion.version, from, now)) : null;
  const featureRefs = featureReferencesOf(champion.params);
  const logged = featureRefs.length > 0 ? await servedFeatureValues(db, champion.version, featureRefs.length, from, now) : [];
  const ranking = featureRefs.flatMap((r, col) => {
    const row = compareServed(
      r,
      logged.filter((v) => v.col === col).map((v) => [v.value, v.n] as const),
      `ranking_${r.feature}`,
    );
    return row ? [row] : [];
  });
  return { ...base, reference: ref, features: [...inputs, ...(served ? [served] : []), ...ranking] };
}

/** The served-score reference in a registry row's params; null when absent or not of its shape (older rows). */
export function scoreReferenceOf(params: Record<string, unknown>): ScoreReference | null {
  return asReference(rankerReport(params)?.servedScores);
}

/** The ranking-feature references in a registry row's params, in column order; none unless every one is of its shape. */
export function featureReferencesOf(params: Record<string, unknown>): FeatureReference[] {
  const all = rankerReport(params)?.servedFeatures;
  if (!Array.isArray(all)) return [];
  const refs = all.map((r: unknown) => {
    const ref = asReference(r);
    const feature = (r as { feature?: unknown } | null)?.feature;
    return ref && typeof feature === "string" && /^[a-z0-9_]+$/.test(feature) ? { feature, ...ref } : null;
  });
  // A column left out would shift every later one onto the wrong feature.
  return refs.every((r) => r !== null) ? (refs as FeatureReference[]) : [];
}

function rankerReport(params: Record<string, unknown>): { servedScores?: unknown; servedFeatures?: unknown } | null | undefined {
  return params.ranker_report as { servedScores?: unknown; servedFeatures?: unknown } | null | undefined;
}

function asReference(x: unknown): ScoreReference | null {
  const r = x as Partial<ScoreReference> | null | undefined;
  const numbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((n) => typeof n === "number" && Number.isFinite(n));
  if (!r || !numbers(r.edges) || !numbers(r.counts) || r.counts.length !== r.edges.length + 1) return null;
  return { edges: r.edges, counts: r.counts, lists: typeof r.lists === "number" ? r.lists : 0 };
}

/**
 * Distinct values of each feature column of the version's logged head rows in the
 * window, with how often each was served: the array is row-major with `width` columns.
 */
async function servedFeatureValues(db: Db, version: string, width: number, from: Date, to: Date): Promise<Array<{ col: number; value: number; n: number }>> {
  const rows = resultRows<{ col: number | string; value: number | string; n: number | string }>(
    await db.execute(sql`
      SELECT (u.ord - 1) % ${sql.raw(String(width))} AS col, u.v AS value, count(*) AS n
      FROM served_lists, unnest(features) WITH ORDINALITY AS u(v, ord)
      WHERE model_version = ${version} AND features IS NOT NULL
        AND cardinality(features) % ${sql.raw(String(width))} = 0
        AND ts >= ${from.toISOString()}::timestamptz AND ts < ${to.toISOString()}::timestamptz
      GROUP BY 1, 2`),
  );
  return rows.map((r) => ({ col: Number(r.col), value: Number(r.value), n: Number(r.n) }));
}

/** Distinct scores of the head of the version's served lists in the window, with how often each was served. */
async function servedScores(db: Db, version: string, from: Date, to: Date): Promise<Array<[number, number]>> {
  const rows = resultRows<{ score: number | string; n: number | string }>(
    await db.execute(sql`
      SELECT s AS score, count(*) AS n
      FROM served_lists, unnest(scores[1:${sql.raw(String(SERVED_HEAD))}]) AS s
      WHERE model_version = ${version} AND scores IS NOT NULL
        AND ts >= ${from.toISOString()}::timestamptz AND ts < ${to.toISOString()}::timestamptz
      GROUP BY s`),
  );
  return rows.map((r) => [Number(r.score), Number(r.n)]);
}

/** Served values (scores, or one feature's) binned on the reference's edges; null below MIN_EVENTS_FOR_DRIFT values. Pure, for tests. */
export function compareServed(
  reference: ScoreReference,
  served: ReadonlyArray<readonly [number, number]>,
  feature: DriftFeature = "served_score",
): FeatureDrift | null {
  const current = binCounts(
    served.map(([s]) => s),
    reference.edges,
    served.map(([, n]) => n),
  );
  if (current.reduce((a, b) => a + b, 0) < MIN_EVENTS_FOR_DRIFT) return null;
  const [rs, cs] = [shares(reference.counts), shares(current)];
  return {
    feature,
    psi: psi(reference.counts, current),
    bins: scoreBinLabels(reference.edges).map((bin, i) => ({ bin, reference: rs[i] as number, current: cs[i] as number })),
  };
}

export interface DriftReadout extends DriftReport {
  alerts: Alert[];
}

/** One alert per monitored input whose PSI is past the threshold. */
export function withDriftAlerts(r: DriftReport, maxPsi: number, hours: number): DriftReadout {
  const alerts = r.features
    .filter((f) => f.psi > maxPsi)
    .map(
      (f): Alert => ({
        check: "drift",
        feature: f.feature,
        value: f.psi,
        threshold: maxPsi,
        message: `PSI ${f.psi.toFixed(3)} of ${f.feature} between ${servedRow(f.feature) ? `the serving replay of ${r.reference?.version}` : `the training window of ${r.reference?.version}`} and the last ${hours} h (threshold ${maxPsi})`,
      }),
    );
  return { ...r, alerts };
}

/** Rows whose reference is the trainer's serving replay rather than the training window's events. */
function servedRow(feature: DriftFeature): boolean {
  return feature === "served_score" || feature.startsWith("ranking_");
}

/** Every monitored feature binned on the reference and compared. Pure, for tests without a database. */
export function compareTallies(reference: readonly ItemTally[], current: readonly ItemTally[]): FeatureDrift[] {
  return [
    compare(
      "event_type",
      categoricalBinner(reference, (t) => t.type, Number.POSITIVE_INFINITY),
      reference,
      current,
    ),
    compare("item_popularity", popularityBinner(reference), reference, current),
    compare(
      "item_category",
      categoricalBinner(reference, (t) => t.category ?? "none", TOP_CATEGORIES),
      reference,
      current,
    ),
    compare("item_price", priceBinner(reference), reference, current),
  ];
}

interface Binner {
  labels: string[];
  binOf(t: ItemTally): number;
}

function compare(feature: DriftFeature, binner: Binner, reference: readonly ItemTally[], current: readonly ItemTally[]): FeatureDrift {
  const count = (tallies: readonly ItemTally[]) => {
    const out = new Array<number>(binner.labels.length).fill(0);
    for (const t of tallies) {
      const bin = binner.binOf(t);
      out[bin] = (out[bin] as number) + t.n;
    }
    return out;
  };
  const r = count(reference);
  const c = count(current);
  const [rs, cs] = [shares(r), shares(c)];
  return {
    feature,
    psi: psi(r, c),
    bins: binner.labels.map((bin, i) => ({ bin, reference: rs[i] as number, current: cs[i] as number })),
  };
}

/** The `limit` most frequent values of the reference each get a bin; the rest share "other". */
function categoricalBinner(reference: readonly ItemTally[], keyOf: (t: ItemTally) => string, limit: number): Binner {
  const counts = new Map<string, number>();
  for (const t of reference) counts.set(keyOf(t), (counts.get(keyOf(t)) ?? 0) + t.n);
  const kept = [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([v]) => v);
  const index = new Map(kept.map((v, i) => [v, i]));
  return { labels: [...kept, "other"], binOf: (t) => index.get(keyOf(t)) ?? kept.length };
}

/** Items ranked by reference events, cut where each decile of reference events ends; unseen items last. */
function popularityBinner(reference: readonly ItemTally[]): Binner {
  const perItem = new Map<string, number>();
  for (const t of reference) perItem.set(t.itemId, (perItem.get(t.itemId) ?? 0) + t.n);
  const ranked = [...perItem].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const all = total(reference);
  const decileOf = new Map<string, number>();
  let seen = 0;
  for (const [item, n] of ranked) {
    decileOf.set(item, Math.min(DECILES - 1, Math.floor((seen / all) * DECILES)));
    seen += n;
  }
  const labels = [...Array.from({ length: DECILES }, (_, i) => `decile ${i + 1}`), "unseen"];
  return { labels, binOf: (t) => decileOf.get(t.itemId) ?? DECILES };
}

function priceBinner(reference: readonly ItemTally[]): Binner {
  const priced = reference.filter((t) => t.price !== null);
  const edges = quantileEdges(
    priced.map((t) => t.price as number),
    priced.map((t) => t.n),
    DECILES,
  );
  const labels = [...Array.from({ length: edges.length + 1 }, (_, i) => priceLabel(edges, i)), "no price"];
  return { labels, binOf: (t) => (t.price === null ? edges.length + 1 : binOf(t.price, edges)) };
}

function priceLabel(edges: readonly number[], i: number): string {
  if (edges.length === 0) return "any";
  if (i === 0) return `≤ ${edges[0]}`;
  if (i === edges.length) return `> ${edges[i - 1]}`;
  return `${edges[i - 1]} – ${edges[i]}`;
}

function total(tallies: readonly ItemTally[]): number {
  return tallies.reduce((s, t) => s + t.n, 0);
}

export type { ItemTally };
