/** Erasure tombstones in Postgres (erased_users): kept for good, a keyed hash and a time only. */
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { erasedUsers } from "../db/schema.js";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** erased_at (epoch ms) per user hash, for the hashes that have a tombstone. */
export async function tombstonesOf(tx: Db | Tx, userHashes: readonly string[]): Promise<Map<string, number>> {
  if (userHashes.length === 0) return new Map();
  const rows = await tx
    .select({ hash: erasedUsers.userHash, at: erasedUsers.erasedAt })
    .from(erasedUsers)
    .where(inArray(erasedUsers.userHash, [...userHashes]));
  return new Map(rows.map((r) => [r.hash, r.at.getTime()]));
}

/** Writes or moves forward the tombstone: a repeated erasure covers everything up to the later time. */
export async function writeTombstone(tx: Db | Tx, userHash: string, erasedAt: Date): Promise<Date> {
  const [row] = await tx
    .insert(erasedUsers)
    .values({ userHash, erasedAt })
    .onConflictDoUpdate({ target: erasedUsers.userHash, set: { erasedAt: sql`greatest(${erasedUsers.erasedAt}, excluded.erased_at)` } })
    .returning({ erasedAt: erasedUsers.erasedAt });
  return row!.erasedAt;
}
