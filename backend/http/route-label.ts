/**
 * The registered route pattern (`/api/v1/catalog/items/:itemId`) of the handler that
 * answered, for logs and metric labels. Unmatched paths share one label so a scanner
 * probing random URLs cannot blow up metric cardinality.
 */
import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

export const UNMATCHED_ROUTE = "unmatched";

export function routeLabel(c: Context): string {
  const handlers = matchedRoutes(c).filter((r) => r.method !== "ALL");
  return handlers.at(-1)?.path ?? UNMATCHED_ROUTE;
}
