/**
 * Catalog reads and writes in Postgres. An upsert replaces the whole item (fields left
 * out go back to their defaults), so the stored item is always exactly what was sent last.
 */
import { and, asc, count, eq, gt, gte, or, sql, type SQL } from "drizzle-orm";
import type { CatalogItem } from "../../models/catalog.js";
import type { Db } from "../db/client.js";
import { items, type ItemRow } from "../db/schema.js";
import type { ItemRecordSource } from "../feature-store/feature-store.js";

export async function upsertItems(db: Db, batch: readonly CatalogItem[]): Promise<{ upserted: number; oldestUpdate: Date | null }> {
  if (batch.length === 0) return { upserted: 0, oldestUpdate: null };
  const rows = await db
    .insert(items)
    .values(batch.map(toRow))
    .onConflictDoUpdate({
      target: items.itemId,
      set: {
        title: sql`excluded.title`,
        category: sql`excluded.category`,
        tags: sql`excluded.tags`,
        price: sql`excluded.price`,
        available: sql`excluded.available`,
        attributes: sql`excluded.attributes`,
        updatedAt: sql`now()`,
      },
    })
    .returning({ updatedAt: items.updatedAt });
  const oldest = rows.reduce<Date | null>((min, r) => (min === null || r.updatedAt < min ? r.updatedAt : min), null);
  return { upserted: rows.length, oldestUpdate: oldest };
}

function toRow(item: CatalogItem): typeof items.$inferInsert {
  return {
    itemId: item.item_id,
    title: item.title,
    category: item.category ?? null,
    tags: item.tags ?? [],
    price: item.price ?? null,
    available: item.available ?? true,
    attributes: item.attributes ?? null,
  };
}

export async function getItem(db: Db, itemId: string): Promise<ItemRow | null> {
  const rows = await db.select().from(items).where(eq(items.itemId, itemId)).limit(1);
  return rows[0] ?? null;
}

export interface ListItemsQuery {
  limit: number;
  /** Exclusive: the item id the previous page ended with. */
  cursor?: string | undefined;
  category?: string | undefined;
}

/** Keyset pagination on item_id: stable under concurrent inserts, cheap at any depth. */
export async function listItems(db: Db, query: ListItemsQuery): Promise<{ items: ItemRow[]; nextCursor: string | null }> {
  const conditions: SQL[] = [];
  if (query.cursor !== undefined) conditions.push(gt(items.itemId, query.cursor));
  if (query.category !== undefined) conditions.push(eq(items.category, query.category));
  const rows = await db
    .select()
    .from(items)
    .where(and(...conditions))
    .orderBy(asc(items.itemId))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const nextCursor = rows.length > query.limit ? (page.at(-1)?.itemId ?? null) : null;
  return { items: page, nextCursor };
}

export async function countItems(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(items);
  return row?.n ?? 0;
}

/** Items changed at or after `since`, in (updated_at, item_id) order, resuming after `after`. */
export async function itemsUpdatedSince(db: Db, since: Date, after: { updatedAt: Date; itemId: string } | null, limit: number): Promise<ItemRow[]> {
  const resume = after ? or(gt(items.updatedAt, after.updatedAt), and(eq(items.updatedAt, after.updatedAt), gt(items.itemId, after.itemId))) : undefined;
  return db
    .select()
    .from(items)
    .where(and(gte(items.updatedAt, since), resume))
    .orderBy(asc(items.updatedAt), asc(items.itemId))
    .limit(limit);
}

/** The fields the edge's item record is built from. */
export function toItemRecordSource(row: ItemRow): ItemRecordSource {
  return {
    item_id: row.itemId,
    title: row.title,
    category: row.category ?? undefined,
    price: row.price ?? undefined,
    available: row.available,
  };
}
