/**
 * Erases everything the backend holds about one user (the edge's DELETE /v1/users
 * calls this): interactions, feedback, served lists, shadow lists and the user row, in
 * one transaction so a failure leaves nothing half-deleted — and writes the tombstone
 * (erased_users: keyed hash, erased_at) in the same transaction, so ingest drops rows of
 * the user accepted before the erasure that are still on their way.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { feedback, interactions, servedLists, shadowLists, users } from "../db/schema.js";
import { lockUserExclusive } from "./erasure-lock.js";
import { writeTombstone } from "./erased-users.js";

export interface ErasedCounts {
  interactions: number;
  feedback: number;
  served_lists: number;
  shadow_lists: number;
  users: number;
}

export interface Erasure {
  deleted: ErasedCounts;
  /** The tombstone's time: the later of this erasure's and any earlier one's. */
  erasedAt: Date;
}

export async function eraseUser(db: Db, userId: string, userHash: string, erasedAt: Date): Promise<Erasure> {
  return db.transaction(async (tx) => {
    await lockUserExclusive(tx, userHash);
    const i = await tx.delete(interactions).where(eq(interactions.userId, userId)).returning({ id: interactions.id });
    const f = await tx.delete(feedback).where(eq(feedback.userId, userId)).returning({ id: feedback.feedbackId });
    const s = await tx.delete(servedLists).where(eq(servedLists.userId, userId)).returning({ id: servedLists.requestId });
    const sh = await tx.delete(shadowLists).where(eq(shadowLists.userId, userId)).returning({ id: shadowLists.requestId });
    const u = await tx.delete(users).where(eq(users.userId, userId)).returning({ id: users.userId });
    const tombstone = await writeTombstone(tx, userHash, erasedAt);
    return {
      deleted: { interactions: i.length, feedback: f.length, served_lists: s.length, shadow_lists: sh.length, users: u.length },
      erasedAt: tombstone,
    };
  });
}
