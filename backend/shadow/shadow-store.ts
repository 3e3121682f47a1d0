/** Shadow rollouts in Postgres (table `shadows`): at most one running, enforced by a partial unique index. */
import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { shadows } from "../db/schema.js";

export type ShadowRow = typeof shadows.$inferSelect;

export async function insertShadow(db: Db, s: { version: string; championVersion: string; samplePercent: number; createdBy: string }): Promise<ShadowRow> {
  const [row] = await db
    .insert(shadows)
    .values({ ...s, status: "running" })
    .returning();
  return row!;
}

export async function runningShadow(db: Db): Promise<ShadowRow | null> {
  const rows = await db.select().from(shadows).where(eq(shadows.status, "running")).limit(1);
  return rows[0] ?? null;
}

/** The version's latest shadow, running or not. */
export async function latestShadowOf(db: Db, version: string): Promise<ShadowRow | null> {
  const rows = await db.select().from(shadows).where(eq(shadows.version, version)).orderBy(desc(shadows.id)).limit(1);
  return rows[0] ?? null;
}

export async function stopShadowRow(db: Db, id: number): Promise<ShadowRow | null> {
  const [row] = await db
    .update(shadows)
    .set({ status: "stopped", stoppedAt: sql`now()` })
    .where(and(eq(shadows.id, id), eq(shadows.status, "running")))
    .returning();
  return row ?? null;
}
