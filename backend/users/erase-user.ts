/**
 * Erases everything the backend holds about one user (the edge's DELETE /v1/users
 * calls this): interactions, feedback, served lists and the user row, in one
 * transaction so a failure leaves nothing half-deleted.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { feedback, interactions, servedLists, users } from "../db/schema.js";

export interface ErasedCounts {
  interactions: number;
  feedback: number;
  served_lists: number;
  users: number;
}

export async function eraseUser(db: Db, userId: string): Promise<ErasedCounts> {
  return db.transaction(async (tx) => {
    const i = await tx.delete(interactions).where(eq(interactions.userId, userId)).returning({ id: interactions.id });
    const f = await tx.delete(feedback).where(eq(feedback.userId, userId)).returning({ id: feedback.feedbackId });
    const s = await tx.delete(servedLists).where(eq(servedLists.userId, userId)).returning({ id: servedLists.requestId });
    const u = await tx.delete(users).where(eq(users.userId, userId)).returning({ id: users.userId });
    return { interactions: i.length, feedback: f.length, served_lists: s.length, users: u.length };
  });
}
