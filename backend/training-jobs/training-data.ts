/**
 * Reads what a trainer learns from: the stored interactions inside a time window, as the
 * evaluation module's `Interaction` records (weights from the shared event weights), and
 * the current catalog.
 *
 * Rows are read in keyset pages (ts, id), never one result set of the whole table, so a
 * million interactions cost one page of driver rows at a time plus the compact records
 * kept. User and item ids repeat on every row; each distinct id is kept as one string
 * (interned), which is most of the memory a naive read of 1M rows would take.
 */
import { and, asc, gt, gte, lt, sql, type SQL } from "drizzle-orm";
import type { CatalogItem } from "../../models/catalog.js";
import { DEFAULT_EVENT_WEIGHTS, type EventType } from "../../models/events.js";
import type { Db } from "../db/client.js";
import { interactions, items, type ItemRow } from "../db/schema.js";
import { fromStoredEvent, type Interaction } from "../evaluation/interactions.js";
import type { TrainingWindow } from "./types.js";

export interface TrainingData {
  /** In time order (ties in storage order). */
  interactions: Interaction[];
  /** Every catalog item, available or not, in item-id order. */
  catalog: CatalogItem[];
  /** Epoch ms when the catalog read began: changes after it may be missing from `catalog`. */
  catalogReadAt: number;
  /** Rows of an event type the weights do not know, left out. */
  skipped: number;
}

export interface LoadTrainingDataOptions {
  /** Rows per query. Default 10,000. */
  batchSize?: number;
  weights?: Readonly<Record<EventType, number>>;
  /** Checked between pages, so a shutdown does not wait for the whole read. */
  signal?: AbortSignal;
}

export async function loadTrainingData(db: Db, window: TrainingWindow, options: LoadTrainingDataOptions = {}): Promise<TrainingData> {
  const batchSize = options.batchSize ?? 10_000;
  const { records, skipped } = await readInteractions(db, window, batchSize, options);
  const catalogReadAt = Date.now();
  const catalog = await readCatalog(db, batchSize, options.signal);
  return { interactions: records, catalog, catalogReadAt, skipped };
}

async function readInteractions(db: Db, window: TrainingWindow, batchSize: number, options: LoadTrainingDataOptions) {
  const weights = options.weights ?? DEFAULT_EVENT_WEIGHTS;
  const intern = interner();
  const records: Interaction[] = [];
  let skipped = 0;
  let after: { ts: Date; id: number } | null = null;
  for (;;) {
    options.signal?.throwIfAborted();
    const rows = await db
      .select({ id: interactions.id, userId: interactions.userId, itemId: interactions.itemId, type: interactions.type, ts: interactions.ts })
      .from(interactions)
      .where(and(...windowConditions(window), ...(after ? [afterRow(after)] : [])))
      .orderBy(asc(interactions.ts), asc(interactions.id))
      .limit(batchSize);
    for (const r of rows) {
      if (!isKnownType(r.type, weights)) {
        skipped += 1;
        continue;
      }
      const event = { user_id: intern(r.userId), item_id: intern(r.itemId), ts: r.ts.getTime(), type: r.type };
      records.push(fromStoredEvent(event, weights));
    }
    const last = rows.at(-1);
    if (rows.length < batchSize || last === undefined) return { records, skipped };
    after = { ts: last.ts, id: last.id };
  }
}

function windowConditions(window: TrainingWindow): SQL[] {
  return [
    ...(window.from !== undefined ? [gte(interactions.ts, new Date(window.from))] : []),
    ...(window.to !== undefined ? [lt(interactions.ts, new Date(window.to))] : []),
  ];
}

function afterRow(after: { ts: Date; id: number }): SQL {
  return sql`(${interactions.ts}, ${interactions.id}) > (${after.ts.toISOString()}::timestamptz, ${after.id})`;
}

function isKnownType(type: string, weights: Readonly<Record<EventType, number>>): type is EventType {
  return Object.hasOwn(weights, type);
}

function interner(): (s: string) => string {
  const seen = new Map<string, string>();
  return (s) => {
    const kept = seen.get(s);
    if (kept !== undefined) return kept;
    seen.set(s, s);
    return s;
  };
}

async function readCatalog(db: Db, batchSize: number, signal: AbortSignal | undefined): Promise<CatalogItem[]> {
  const catalog: CatalogItem[] = [];
  let after: string | null = null;
  for (;;) {
    signal?.throwIfAborted();
    const rows: ItemRow[] = await db
      .select()
      .from(items)
      .where(after === null ? undefined : gt(items.itemId, after))
      .orderBy(asc(items.itemId))
      .limit(batchSize);
    catalog.push(...rows.map(toCatalogItem));
    const last = rows.at(-1);
    if (rows.length < batchSize || last === undefined) return catalog;
    after = last.itemId;
  }
}

function toCatalogItem(row: ItemRow): CatalogItem {
  return {
    item_id: row.itemId,
    title: row.title,
    ...(row.category !== null ? { category: row.category } : {}),
    tags: row.tags,
    ...(row.price !== null ? { price: row.price } : {}),
    available: row.available,
    ...(row.attributes !== null ? { attributes: row.attributes } : {}),
  };
}
