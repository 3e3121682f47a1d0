/**
 * Canaries in Postgres (table `canaries`): one row per canary rollout, with the
 * experiment that carries it, the champion it was compared with and how it ended.
 *
 * Starting and deciding canaries happen under one advisory lock, so a start cannot slip
 * in while a canary is being decided, and two evaluations (the timer and the admin
 * route, or two backends on one database) never decide the same canary twice.
 */
import { desc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { canaries, type CanaryRow, type CanaryStatus } from "../db/schema.js";
import { resultRows } from "../db/result-rows.js";
import { emitWebhookEvent } from "../webhooks/webhook-events.js";

export type { CanaryRow, CanaryStatus };

/** pg_advisory_xact_lock key of canary starts and decisions; any constant unique to this use. */
const CANARIES_LOCK = 7_265_637_303;

/** Waits for the lock (starting a canary). */
export async function lockCanaries(tx: Db): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CANARIES_LOCK})`);
}

/** Takes the lock if free; false when another evaluation holds it (that one decides). */
export async function tryLockCanaries(tx: Db): Promise<boolean> {
  const result = await tx.execute(sql`select pg_try_advisory_xact_lock(${CANARIES_LOCK}) as locked`);
  return resultRows<{ locked: boolean }>(result)[0]?.locked === true;
}

export interface NewCanary {
  version: string;
  experimentId: string;
  championVersion: string;
  trafficPercent: number;
  minImpressions: number;
  createdBy: string;
}

export async function insertCanary(db: Db, c: NewCanary): Promise<CanaryRow> {
  const [row] = await db
    .insert(canaries)
    .values({ ...c, status: "running" })
    .returning();
  return row!;
}

/** Newest first. */
export async function listCanaries(db: Db, limit = 100): Promise<CanaryRow[]> {
  return db.select().from(canaries).orderBy(desc(canaries.createdAt), desc(canaries.id)).limit(limit);
}

export async function runningCanaries(db: Db): Promise<CanaryRow[]> {
  return db.select().from(canaries).where(eq(canaries.status, "running")).orderBy(canaries.id);
}

export async function finishCanary(db: Db, id: number, status: Exclude<CanaryStatus, "running">, reason: string): Promise<CanaryRow> {
  const [row] = await db.update(canaries).set({ status, reason, decidedAt: sql`now()` }).where(eq(canaries.id, id)).returning();
  await emitWebhookEvent(db, "canary.decided", {
    canary_id: row!.id,
    version: row!.version,
    champion_version: row!.championVersion,
    experiment_id: row!.experimentId,
    outcome: status,
    reason,
  });
  return row!;
}
