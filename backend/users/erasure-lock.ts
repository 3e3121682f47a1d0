/**
 * Serialises erasure against ingest per user: ingest holds a shared lock on each user
 * hash in its batch while it checks tombstones and inserts, erasure an exclusive one
 * while it deletes and writes the tombstone. Without it an ingest that read "no
 * tombstone" could commit its rows just after the erasure committed, re-creating data.
 * Transaction-scoped advisory locks in a key class of their own (two-int form).
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.js";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Key class of these locks; other advisory locks in the backend use the one-bigint form. */
const ERASURE_LOCK_CLASS = 5_001;

export async function lockUsersShared(tx: Tx, userHashes: readonly string[]): Promise<void> {
  if (userHashes.length === 0) return;
  // Taken in a fixed order, one statement for the whole batch.
  await tx.execute(sql`
    select pg_advisory_xact_lock_shared(${ERASURE_LOCK_CLASS}, k)
    from (select distinct hashtext(h) as k from unnest(${sql.param([...userHashes])}::text[]) as h order by k) as keys`);
}

export async function lockUserExclusive(tx: Tx, userHash: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${ERASURE_LOCK_CLASS}, hashtext(${userHash}))`);
}
