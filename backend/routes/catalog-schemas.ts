/** Request and response schemas of the catalog API (documented in /openapi.json). */
import { z } from "@hono/zod-openapi";
import { CatalogUpsertSchema } from "../../models/catalog.js";
import { IdSchema } from "../../models/events.js";
import type { ItemRow } from "../db/schema.js";
import { limitParam } from "../http/query-params.js";
import { hasNoNul, NUL_MESSAGE, rejectNulCharacters } from "../http/storable-text.js";

/** An item id twice in one upsert is ambiguous (which one wins?), so it is refused. */
function rejectDuplicateIds(body: z.infer<typeof CatalogUpsertSchema>, ctx: z.core.$RefinementCtx): void {
  const firstIndex = new Map<string, number>();
  body.items.forEach((item, i) => {
    const first = firstIndex.get(item.item_id);
    if (first === undefined) firstIndex.set(item.item_id, i);
    else ctx.addIssue({ code: "custom", path: ["items", i, "item_id"], message: `duplicates items.${first}.item_id` });
  });
}

export const UpsertBodySchema = CatalogUpsertSchema.superRefine(rejectNulCharacters).superRefine(rejectDuplicateIds).openapi("CatalogUpsert");

export const UpsertResultSchema = z
  .object({
    upserted: z.number().int(),
    feature_store: z.enum(["synced", "pending"]).openapi({
      description: "`pending`: the feature store could not be written now; a background re-sync retries",
    }),
  })
  .openapi("CatalogUpsertResult");

export const StoredItemSchema = z
  .object({
    item_id: z.string(),
    title: z.string(),
    category: z.string().nullable(),
    tags: z.array(z.string()),
    price: z.number().nullable(),
    available: z.boolean(),
    attributes: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("StoredCatalogItem");

export const ItemListSchema = z
  .object({
    items: z.array(StoredItemSchema),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last" }),
  })
  .openapi("CatalogItemList");

export const ItemParamsSchema = z.object({
  // No .openapi() on a shared model schema: it may have been built before
  // @hono/zod-openapi extended zod, and then lacks the method. The key names the param.
  itemId: IdSchema,
});

export const ListQuerySchema = z.object({
  limit: limitParam(1000, 100),
  cursor: IdSchema.optional(),
  category: z.string().min(1).max(128).refine(hasNoNul, NUL_MESSAGE).optional(),
});

export function toStoredItem(row: ItemRow): z.infer<typeof StoredItemSchema> {
  return {
    item_id: row.itemId,
    title: row.title,
    category: row.category,
    tags: row.tags,
    price: row.price,
    available: row.available,
    attributes: row.attributes,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
