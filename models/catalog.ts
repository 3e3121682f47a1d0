/**
 * Catalog items: the shape clients upsert into the backend and the compact record
 * the edge reads from the feature store to filter (availability, category) and to
 * explain ("because you viewed <title>").
 */
import { z } from "zod";
import { IdSchema } from "./events.js";

export const MAX_ITEMS_PER_UPSERT = 1000;

export const CatalogItemSchema = z.strictObject({
  item_id: IdSchema,
  title: z.string().min(1, "must not be empty").max(512),
  category: z.string().min(1).max(128).optional(),
  tags: z.array(z.string().min(1).max(64)).max(64).optional(),
  price: z.number().finite().nonnegative().max(1e9).optional(),
  available: z.boolean().optional(),
  attributes: z
    .record(z.string().max(64), z.unknown())
    .refine((a) => JSON.stringify(a).length <= 8192, "must be at most 8192 bytes as JSON")
    .optional(),
});
export type CatalogItem = z.infer<typeof CatalogItemSchema>;

export const CatalogUpsertSchema = z.strictObject({
  items: z.array(CatalogItemSchema).min(1, "must hold at least one item").max(MAX_ITEMS_PER_UPSERT, `must hold at most ${MAX_ITEMS_PER_UPSERT} items`),
});

/** What the edge needs of an item at serving time; kept small because it is read per candidate. */
export interface EdgeItemRecord {
  title: string;
  category: string | null;
  available: boolean;
  price: number | null;
}

export function toEdgeItemRecord(item: CatalogItem): EdgeItemRecord {
  return {
    title: item.title,
    category: item.category ?? null,
    available: item.available ?? true,
    price: item.price ?? null,
  };
}
