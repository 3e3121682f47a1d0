/**
 * The id of this system of record (database_identity): created on first use, then read.
 * Two processes starting on a new database at once may both insert; the oldest row wins
 * for both, so they agree.
 */
import { randomUUID } from "node:crypto";
import { asc } from "drizzle-orm";
import type { Db } from "./client.js";
import { databaseIdentity } from "./schema.js";

export async function databaseId(db: Db): Promise<string> {
  const first = () => db.select({ id: databaseIdentity.id }).from(databaseIdentity).orderBy(asc(databaseIdentity.createdAt), asc(databaseIdentity.id)).limit(1);
  const [row] = await first();
  if (row) return row.id;
  await db.insert(databaseIdentity).values({ id: randomUUID() }).onConflictDoNothing();
  return (await first())[0]!.id;
}
