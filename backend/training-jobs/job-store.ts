/**
 * The training queue in Postgres (training_jobs). Jobs run in creation order; a partial
 * unique index lets at most one be 'running', so even two processes sharing the database
 * cannot train at once.
 */
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { trainingJobs, type TrainingJobRow } from "../db/schema.js";
import { errorCode } from "../describe-error.js";
import type { MetricsRowLike, ModelType, TrainingTrigger, TrainingWindow } from "./types.js";

export type { TrainingJobRow };

export interface NewTrainingJob {
  modelType: ModelType;
  trigger: TrainingTrigger;
  window: TrainingWindow;
}

export type JobOutcome =
  | { status: "succeeded"; message: string; version: string; metrics: MetricsRowLike[] }
  | { status: "failed"; message: string; error: string; version?: string | null };

export async function insertJob(db: Db, job: NewTrainingJob): Promise<TrainingJobRow> {
  const [row] = await db.insert(trainingJobs).values(job).returning();
  return row!;
}

export async function getJob(db: Db, id: string): Promise<TrainingJobRow | null> {
  const rows = await db.select().from(trainingJobs).where(eq(trainingJobs.id, id)).limit(1);
  return rows[0] ?? null;
}

/** Newest first. */
export async function listJobs(db: Db, limit: number): Promise<TrainingJobRow[]> {
  return db.select().from(trainingJobs).orderBy(desc(trainingJobs.createdAt), desc(trainingJobs.id)).limit(limit);
}

/**
 * For each queued job, how many jobs are ahead of it (the running one included): 0 means
 * it starts next. Only unfinished jobs are read, and there are few of them.
 */
export async function queuePositions(db: Db): Promise<Map<string, number>> {
  const active = await db
    .select({ id: trainingJobs.id, status: trainingJobs.status })
    .from(trainingJobs)
    .where(inArray(trainingJobs.status, ["queued", "running"]))
    .orderBy(sql`${trainingJobs.status} = 'queued'`, asc(trainingJobs.createdAt), asc(trainingJobs.id));
  const positions = new Map<string, number>();
  active.forEach((job, index) => {
    if (job.status === "queued") positions.set(job.id, index);
  });
  return positions;
}

export async function hasActiveJob(db: Db): Promise<boolean> {
  const rows = await db
    .select({ id: trainingJobs.id })
    .from(trainingJobs)
    .where(inArray(trainingJobs.status, ["queued", "running"]))
    .limit(1);
  return rows.length > 0;
}

export async function latestJobCreatedAt(db: Db): Promise<Date | null> {
  const rows = await db.select({ at: trainingJobs.createdAt }).from(trainingJobs).orderBy(desc(trainingJobs.createdAt)).limit(1);
  return rows[0]?.at ?? null;
}

/**
 * Marks the oldest queued job running and returns it; null when the queue is empty or
 * another job is running (the unique index refuses a second).
 */
export async function claimNextJob(db: Db): Promise<TrainingJobRow | null> {
  const next = db
    .select({ id: trainingJobs.id })
    .from(trainingJobs)
    .where(eq(trainingJobs.status, "queued"))
    .orderBy(asc(trainingJobs.createdAt), asc(trainingJobs.id))
    .limit(1)
    .for("update", { skipLocked: true });
  try {
    const rows = await db
      .update(trainingJobs)
      .set({ status: "running", startedAt: sql`now()`, progress: 0, message: "starting" })
      .where(inArray(trainingJobs.id, next))
      .returning();
    return rows[0] ?? null;
  } catch (error) {
    if (errorCode(error) === "23505") return null;
    throw error;
  }
}

/** Only while running, so a late progress write never overwrites the final state. */
export async function reportProgress(db: Db, id: string, progress: number, message: string): Promise<void> {
  await db
    .update(trainingJobs)
    .set({ progress, message })
    .where(and(eq(trainingJobs.id, id), eq(trainingJobs.status, "running")));
}

/** Records the version a running job produced, before it is released (so a failure still names it). */
export async function setJobVersion(db: Db, id: string, version: string): Promise<void> {
  await db.update(trainingJobs).set({ version }).where(eq(trainingJobs.id, id));
}

export async function finishJob(db: Db, id: string, outcome: JobOutcome): Promise<void> {
  const common = { status: outcome.status, message: outcome.message, finishedAt: sql`now()` };
  const set =
    outcome.status === "succeeded"
      ? { ...common, progress: 1, version: outcome.version, metrics: outcome.metrics, error: null }
      : { ...common, error: outcome.error, ...(outcome.version ? { version: outcome.version } : {}) };
  await db.update(trainingJobs).set(set).where(eq(trainingJobs.id, id));
}

/**
 * At start-up no job can be running in this process, so a 'running' row was left by one
 * that died mid-training: it is failed, not resumed (training restarts from scratch
 * anyway, and a re-run is one API call or the next schedule).
 */
export async function failInterruptedJobs(db: Db): Promise<string[]> {
  const rows = await db
    .update(trainingJobs)
    .set({ status: "failed", error: "interrupted by restart", message: "interrupted by restart", finishedAt: sql`now()` })
    .where(eq(trainingJobs.status, "running"))
    .returning({ id: trainingJobs.id });
  return rows.map((r) => r.id);
}
