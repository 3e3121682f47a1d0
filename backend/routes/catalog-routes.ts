/**
 * Catalog API: upsert (admin) writes Postgres first, then the feature store; reads
 * need `recs:read` (which `admin` implies).
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { audit } from "../audit/audit-trail.js";
import type { RequireScope } from "../auth/require-scope.js";
import type { CatalogSync } from "../catalog/catalog-sync.js";
import { getItem, listItems, upsertItems } from "../catalog/catalog-repository.js";
import type { Db } from "../db/client.js";
import { ApiError, errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import { ItemListSchema, ItemParamsSchema, ListQuerySchema, StoredItemSchema, toStoredItem, UpsertBodySchema, UpsertResultSchema } from "./catalog-schemas.js";

export interface CatalogRouteDeps {
  db: Db;
  catalogSync: CatalogSync;
  requireScope: RequireScope;
}

const json = <T>(schema: T) => ({ "application/json": { schema } });

export function catalogRoutes(deps: CatalogRouteDeps): OpenAPIHono<AppEnv> {
  const app = openApiApp();

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/catalog/items",
      summary: "Create or replace catalog items (at most 1000)",
      tags: ["catalog"],
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { body: { required: true, content: json(UpsertBodySchema) } },
      responses: {
        200: { description: "Stored in Postgres; feature store synced or pending", content: json(UpsertResultSchema) },
        ...errorResponses(400, 401, 403, 413, 415),
      },
    }),
    async (c) => {
      const { items } = c.req.valid("json");
      const { upserted, oldestUpdate } = await upsertItems(deps.db, items);
      await audit(c, "catalog.upsert", null, { items: items.length, upserted });
      const featureStore = await deps.catalogSync.push(items, oldestUpdate ?? new Date());
      return c.json({ upserted, feature_store: featureStore }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/catalog/items/{itemId}",
      summary: "One catalog item",
      tags: ["catalog"],
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("recs:read")] as const,
      request: { params: ItemParamsSchema },
      responses: { 200: { description: "The item", content: json(StoredItemSchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { itemId } = c.req.valid("param");
      const row = await getItem(deps.db, itemId);
      if (!row) throw new ApiError(404, "not_found", `no item "${itemId}"`, "itemId");
      return c.json(toStoredItem(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/catalog/items",
      summary: "Page through the catalog in item-id order",
      tags: ["catalog"],
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("recs:read")] as const,
      request: { query: ListQuerySchema },
      responses: { 200: { description: "A page of items", content: json(ItemListSchema) }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = await listItems(deps.db, query);
      return c.json({ items: page.items.map(toStoredItem), next_cursor: page.nextCursor }, 200);
    },
  );

  return app;
}
