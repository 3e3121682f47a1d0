/** Reading the compact catalog records the backend writes to `recs:item:<id>`. */
import type { EdgeItemRecord } from "../../models/catalog.js";

export function parseItemRecord(raw: unknown): EdgeItemRecord | null {
  if (typeof raw !== "string") return null;
  try {
    const v = JSON.parse(raw) as Partial<EdgeItemRecord>;
    if (typeof v !== "object" || v === null || typeof v.title !== "string") return null;
    return {
      title: v.title,
      category: typeof v.category === "string" ? v.category : null,
      available: v.available !== false,
      price: typeof v.price === "number" ? v.price : null,
    };
  } catch {
    return null;
  }
}
