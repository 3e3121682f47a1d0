/**
 * The audit log (table `audit_log`): who did which administrative action to what.
 * Append-only. Callers pass only non-secret detail: never a plain key or its hash,
 * never a raw user id (see user-id-hash.ts).
 */
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { auditLog } from "../db/schema.js";

export type AuditRow = typeof auditLog.$inferSelect;

export interface AuditEntry {
  /** An API key id, or "system" / "scheduler" / "edge" for work no key asked for. */
  actor: string;
  /** `<noun>.<verb>`, e.g. `key.revoke`, `model.promote`. */
  action: string;
  target?: string | null;
  detail?: Record<string, unknown>;
  requestId?: string | null;
}

/** Throws when the row cannot be written; audit-trail.ts decides what that means for a request. */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<AuditRow> {
  const rows = await db
    .insert(auditLog)
    .values({
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      detail: entry.detail ?? {},
      requestId: entry.requestId ?? null,
    })
    .returning();
  return rows[0]!;
}

export interface AuditQuery {
  action?: string;
  limit: number;
  /** Keyset pagination: only rows with a smaller id (ids grow with time). */
  before?: number;
}

/** Newest first. Paged by id rather than offset so rows written meanwhile neither repeat nor go missing. */
export async function listAudit(db: Db, query: AuditQuery): Promise<AuditRow[]> {
  const conditions: SQL[] = [];
  if (query.action !== undefined) conditions.push(eq(auditLog.action, query.action));
  if (query.before !== undefined) conditions.push(lt(auditLog.id, query.before));
  return db
    .select()
    .from(auditLog)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(query.limit);
}
