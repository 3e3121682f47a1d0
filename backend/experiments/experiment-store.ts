/**
 * Experiments in Postgres: the configs (table `experiments`, one row each, the whole
 * shared `Experiment` in `config`), their audit trail (`experiment_events`) and the few
 * registry facts validation needs (which model versions the edge can serve).
 *
 * The `status`, `name` and `hypothesis` columns repeat fields of `config`; `writeConfig`
 * is the one place that sets them, so the two never disagree.
 *
 * Every change that alters what the edge should run (start, stop, an update of a running
 * experiment) happens under one advisory lock, taken with `lockExperiments` inside the
 * transaction: two operators starting overlapping experiments at once must not both
 * pass the overlap check, and the set published to the edge must be the set committed.
 */
import { and, asc, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { Experiment, ExperimentStatus } from "../../models/experiments/experiment.js";
import type { SequentialState } from "../../models/experiments/stats/verdict.js";
import type { Db } from "../db/client.js";
import { experimentEvents, experiments, modelVersions, type ExperimentAction, type ExperimentEventRow, type ExperimentRow } from "../db/schema.js";

export type { ExperimentEventRow, ExperimentRow };

/** pg_advisory_xact_lock key of experiment changes; any constant unique to this use. */
const EXPERIMENTS_LOCK = 7_265_637_302;

/** The database or a transaction on it (drizzle's transaction is a database too): every function here works in either. */
export type Queryable = Db;

export async function lockExperiments(tx: Queryable): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${EXPERIMENTS_LOCK})`);
}

export async function insertExperiment(db: Queryable, config: Experiment, actor: string): Promise<ExperimentRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(experiments)
      .values({ id: config.id, ...columnsOf(config) })
      .returning();
    await recordEvent(tx, config.id, "created", actor, { config });
    return row!;
  });
}

/** Newest first; all statuses unless one is given. */
export async function listExperiments(db: Queryable, options: { status?: ExperimentStatus; limit?: number } = {}): Promise<ExperimentRow[]> {
  return db
    .select()
    .from(experiments)
    .where(options.status === undefined ? undefined : eq(experiments.status, options.status))
    .orderBy(desc(experiments.createdAt), desc(experiments.id))
    .limit(options.limit ?? 100);
}

/** With `forUpdate`, the row stays locked until the transaction ends. */
export async function getExperiment(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<ExperimentRow | null> {
  const query = db.select().from(experiments).where(eq(experiments.id, id)).limit(1);
  const rows = options.forUpdate ? await query.for("update") : await query;
  return rows[0] ?? null;
}

/** The configs running now, oldest start first: the order they are published in. */
export async function runningExperiments(db: Queryable): Promise<Experiment[]> {
  const rows = await db
    .select({ config: experiments.config })
    .from(experiments)
    .where(eq(experiments.status, "running"))
    .orderBy(asc(experiments.startedAt), asc(experiments.id));
  return rows.map((r) => r.config);
}

/** The audit trail of one experiment, oldest first. */
export async function listExperimentEvents(db: Queryable, id: string): Promise<ExperimentEventRow[]> {
  return db.select().from(experimentEvents).where(eq(experimentEvents.experimentId, id)).orderBy(asc(experimentEvents.id));
}

/**
 * Stores a new config (and its status) for an existing experiment, with the lifecycle
 * timestamps the status change implies.
 */
export async function writeConfig(db: Queryable, config: Experiment, stamp: { started?: boolean; stopped?: boolean } = {}): Promise<void> {
  await db
    .update(experiments)
    .set({
      ...columnsOf(config),
      ...(stamp.started ? { startedAt: sql`now()` } : {}),
      ...(stamp.stopped ? { stoppedAt: sql`now()` } : {}),
    })
    .where(eq(experiments.id, config.id));
}

export async function saveSequentialState(db: Queryable, id: string, state: SequentialState): Promise<void> {
  await db.update(experiments).set({ sequentialState: state }).where(eq(experiments.id, id));
}

export async function recordEvent(
  db: Queryable,
  experimentId: string,
  action: ExperimentAction,
  actor: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await db.insert(experimentEvents).values({ experimentId, action, actor, detail });
}

/** One audit row per experiment, in one statement (the start-up publication names every running experiment). */
export async function recordEvents(
  db: Queryable,
  experimentIds: readonly string[],
  action: ExperimentAction,
  actor: string,
  detail: Record<string, unknown>,
): Promise<void> {
  if (experimentIds.length === 0) return;
  await db.insert(experimentEvents).values(experimentIds.map((experimentId) => ({ experimentId, action, actor, detail })));
}

/**
 * Model versions a variant may name: those published to the edge (a manifest was
 * written) and still servable — candidates, the champion and retired ones. Rejected and
 * failed versions were never (completely) uploaded.
 */
export async function servableModelVersions(db: Queryable): Promise<Set<string>> {
  const rows = await db
    .select({ version: modelVersions.version })
    .from(modelVersions)
    .where(and(isNotNull(modelVersions.manifestSha256), inArray(modelVersions.status, ["candidate", "champion", "retired"])));
  return new Set(rows.map((r) => r.version));
}

function columnsOf(config: Experiment) {
  return { name: config.name, hypothesis: config.hypothesis ?? null, status: config.status, config };
}
