/** A user's most recent interactions, newest first; for debugging recommendations. */
import { desc, eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { interactions, type InteractionRow } from "../db/schema.js";

export async function recentInteractions(db: Db, userId: string, limit: number): Promise<InteractionRow[]> {
  return db.select().from(interactions).where(eq(interactions.userId, userId)).orderBy(desc(interactions.ts), desc(interactions.id)).limit(limit);
}
