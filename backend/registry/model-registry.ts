/**
 * The model registry in Postgres: every trained version with its evaluation, gate
 * decision, artifacts and lineage, the one champion, and an audit trail of what happened
 * to each version (model_events).
 *
 * Life of a version: candidate → (gates fail) rejected
 *                    candidate → (gates pass) published → champion → retired → champion …
 *                    candidate → (upload fails) failed
 *
 * Promotion and rollback run in one transaction under an advisory lock, so two
 * operators (or an operator and the job runner) cannot interleave; a partial unique
 * index makes a second champion impossible even so.
 *
 * Rollback undoes the latest promotion that has not been undone yet: promotions push a
 * version on a stack and rollbacks pop it, replayed from the audit trail. "The version
 * promoted before the champion" alone would be wrong after a rollback: rolling back
 * twice must walk further back, not return to the version just rolled back.
 */
import { asc, desc, eq, inArray, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import {
  modelEvents,
  modelVersions,
  type DataWindow,
  type GateDecision,
  type ModelAction,
  type ModelEventRow,
  type ModelStatus,
  type ModelVersionRow,
  type StoredArtifact,
} from "../db/schema.js";
import { errorCode } from "../describe-error.js";
import type { MetricsRowLike, ModelType } from "../training-jobs/types.js";
import { emitWebhookEvent, type WebhookEventType } from "../webhooks/webhook-events.js";

export const MODEL_STATUSES = ["candidate", "champion", "retired", "rejected", "failed"] as const satisfies readonly ModelStatus[];
export type { ModelStatus, ModelVersionRow, ModelEventRow };

/** Serialises promotions and rollbacks (pg_advisory_xact_lock key; any constant unique to this use). */
const REGISTRY_LOCK = 7_265_637_301;

export class RegistryError extends Error {
  override readonly name = "RegistryError";
  constructor(
    readonly kind: "not_found" | "conflict",
    message: string,
  ) {
    super(message);
  }
}

export interface NewModelVersion {
  version: string;
  modelType: ModelType;
  params: Record<string, unknown>;
  dataWindow: DataWindow;
  metrics: MetricsRowLike[];
  baselineMetrics: MetricsRowLike[];
  artifacts: StoredArtifact[];
  /** The champion at training time. */
  parentVersion: string | null;
  trainingId: string | null;
}

/** Records a freshly trained version as a candidate (audit: trained). */
export async function insertCandidate(db: Db, v: NewModelVersion, actor: string): Promise<ModelVersionRow> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(modelVersions)
        .values({ ...v, status: "candidate" })
        .returning();
      await audit(tx, v.version, "trained", actor, { training_id: v.trainingId, parent_version: v.parentVersion });
      return row!;
    });
  } catch (error) {
    if (errorCode(error) === "23505") throw new RegistryError("conflict", `version "${v.version}" already exists`);
    throw error;
  }
}

/** Newest first. */
export async function listVersions(db: Db, limit = 100): Promise<ModelVersionRow[]> {
  return db.select().from(modelVersions).orderBy(desc(modelVersions.createdAt), desc(modelVersions.version)).limit(limit);
}

export async function getVersion(db: Db, version: string): Promise<ModelVersionRow | null> {
  const rows = await db.select().from(modelVersions).where(eq(modelVersions.version, version)).limit(1);
  return rows[0] ?? null;
}

/** The version's audit trail, oldest first, including rollbacks that restored it. */
export async function listEvents(db: Db, version: string): Promise<ModelEventRow[]> {
  return db
    .select()
    .from(modelEvents)
    .where(or(eq(modelEvents.version, version), sql`${modelEvents.detail} ->> 'restored' = ${version}`))
    .orderBy(asc(modelEvents.id));
}

export async function currentChampion(db: Db): Promise<ModelVersionRow | null> {
  const rows = await db.select().from(modelVersions).where(eq(modelVersions.status, "champion")).limit(1);
  return rows[0] ?? null;
}

/** The gates passed: the decision is kept with the candidate, which goes on to be published. */
export async function recordGate(db: Db, version: string, gate: GateDecision): Promise<void> {
  await db.update(modelVersions).set({ gate }).where(eq(modelVersions.version, version));
}

/** The gates failed: the candidate is never published (audit: rejected, with the reasons). */
export async function rejectVersion(db: Db, version: string, gate: GateDecision, actor: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(modelVersions).set({ gate, status: "rejected" }).where(eq(modelVersions.version, version));
    await audit(tx, version, "rejected", actor, { reasons: gate.reasons });
  });
}

export async function markPublished(db: Db, version: string, manifestSha256: string, actor: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(modelVersions).set({ manifestSha256, publishedAt: sql`now()` }).where(eq(modelVersions.version, version));
    await audit(tx, version, "published", actor, { manifest_sha256: manifestSha256 });
  });
}

/**
 * A canary of the version lost against the champion with real users: it can no longer be
 * promoted or named by an experiment (audit: canary_rolled_back, with the verdict).
 */
export async function rejectAfterCanary(db: Db, version: string, actor: string, detail: Record<string, unknown>): Promise<void> {
  await db.transaction(async (tx) => {
    await setStatus(tx, version, "rejected");
    await audit(tx, version, "canary_rolled_back", actor, detail);
  });
}

/** An audit entry that changes nothing else (canary_started, canary_ended). */
export async function recordModelEvent(
  db: Db,
  version: string,
  action: "canary_started" | "canary_ended" | "shadow_started" | "shadow_stopped",
  actor: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await audit(db, version, action, actor, detail);
}

/** The upload failed: the version cannot be served, and says so. */
export async function markFailed(db: Db, version: string): Promise<void> {
  await db.update(modelVersions).set({ status: "failed" }).where(eq(modelVersions.version, version));
}

/** Throws unless the version may become champion: published, and neither rejected nor failed. */
export function assertPromotable(row: ModelVersionRow): void {
  if (row.status === "rejected") {
    // Rejected by the offline gates, or later by a canary that lost against the champion.
    const byGates = row.gate !== null && !row.gate.passed;
    const why = byGates ? `by the gates: ${row.gate!.reasons.join("; ")}` : "after its canary lost against the champion (see its audit trail)";
    throw new RegistryError("conflict", `version "${row.version}" was rejected ${why}`);
  }
  if (row.status === "failed") throw new RegistryError("conflict", `version "${row.version}" failed to publish`);
  if (row.publishedAt === null) throw new RegistryError("conflict", `version "${row.version}" was never published to the edge`);
}

/**
 * Makes the version the champion and retires the previous one (audit: promoted, with the
 * previous champion). Promoting the champion again changes nothing.
 */
export async function promote(
  db: Db,
  version: string,
  actor: string,
  detail: Record<string, unknown> = {},
): Promise<{ version: string; previous: string | null }> {
  return db.transaction(async (tx) => {
    await lockRegistry(tx);
    const [row] = await tx.select().from(modelVersions).where(eq(modelVersions.version, version));
    if (!row) throw new RegistryError("not_found", `no model version "${version}"`);
    assertPromotable(row);
    if (row.status === "champion") return { version, previous: null };
    const previous = await currentChampion(tx);
    if (previous) await setStatus(tx, previous.version, "retired");
    await tx.update(modelVersions).set({ status: "champion", promotedAt: sql`now()` }).where(eq(modelVersions.version, version));
    await audit(tx, version, "promoted", actor, { ...detail, previous: previous?.version ?? null });
    return { version, previous: previous?.version ?? null };
  });
}

export interface RollbackPlan {
  /** The champion now, to be retired. */
  from: string;
  /** The champion it replaced, to be restored. */
  to: string;
}

/** What a rollback would do now; RegistryError (conflict) when there is nothing to go back to. */
export async function rollbackPlan(db: Db): Promise<RollbackPlan> {
  const stack = await promotionStack(db);
  const from = stack.at(-1);
  const to = stack.at(-2);
  if (from === undefined || to === undefined) {
    throw new RegistryError("conflict", "there is no previous champion to roll back to");
  }
  return { from, to };
}

/**
 * Retires the champion and restores the one it replaced (audit: rolled_back on the
 * retired version, naming the restored one). With `expected`, refuses (conflict) when
 * the champion changed since the plan was made, e.g. after the edge was re-pointed.
 */
export async function rollback(db: Db, actor: string, expected?: RollbackPlan): Promise<RollbackPlan> {
  return db.transaction(async (tx) => {
    await lockRegistry(tx);
    const plan = await rollbackPlan(tx);
    if (expected && (expected.from !== plan.from || expected.to !== plan.to)) {
      throw new RegistryError("conflict", "the champion changed while rolling back; try again");
    }
    await setStatus(tx, plan.from, "retired");
    await tx.update(modelVersions).set({ status: "champion", promotedAt: sql`now()` }).where(eq(modelVersions.version, plan.to));
    await audit(tx, plan.from, "rolled_back", actor, { restored: plan.to });
    return plan;
  });
}

/** Versions promoted and not rolled back since, oldest first; the last is the champion. */
async function promotionStack(db: Db): Promise<string[]> {
  const rows = await db
    .select({ version: modelEvents.version, action: modelEvents.action })
    .from(modelEvents)
    .where(inArray(modelEvents.action, ["promoted", "rolled_back"]))
    .orderBy(asc(modelEvents.id));
  const stack: string[] = [];
  for (const r of rows) {
    if (r.action === "promoted") stack.push(r.version);
    else stack.pop();
  }
  return stack;
}

async function lockRegistry(db: Db): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(${REGISTRY_LOCK})`);
}

async function setStatus(db: Db, version: string, status: ModelStatus): Promise<void> {
  await db.update(modelVersions).set({ status }).where(eq(modelVersions.version, version));
}

/** Registry events that webhook subscribers hear about (in the same transaction). */
const ANNOUNCED: Partial<Record<ModelAction, WebhookEventType>> = {
  trained: "model.trained",
  promoted: "model.promoted",
  rolled_back: "model.rolled_back",
};

async function audit(db: Db, version: string, action: ModelAction, actor: string, detail: Record<string, unknown>): Promise<void> {
  await db.insert(modelEvents).values({ version, action, actor, detail });
  const event = ANNOUNCED[action];
  if (event) await emitWebhookEvent(db, event, { version, actor, ...detail });
}
