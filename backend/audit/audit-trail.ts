/**
 * Auditing from request handlers in one line: `await audit(c, "model.promote", version)`.
 * Middleware puts a recorder on the context; the actor (the API key id from the scope
 * guard) and the request id come from the context too.
 *
 * A failed audit write does not fail the request: by then the action has happened, and
 * an error answer would tell the caller it had not (a retried promote or key creation
 * would then act twice). Instead the entry is logged in full as an error, so it is not
 * lost, and the log line is what alerting should watch.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Db } from "../db/client.js";
import type { AppEnv } from "../http/app-env.js";
import { describeError } from "../describe-error.js";
import type { Logger } from "../logger.js";
import { recordAudit, type AuditEntry } from "./audit-log.js";
import { hashUserId } from "../../models/user-hash.js";

export interface AuditRecorder {
  /** Never throws; false when the row could not be written (and the entry was logged instead). */
  record(entry: AuditEntry): Promise<boolean>;
  /** The audit log's stand-in for a user id. */
  userTarget(userId: string): Promise<string>;
}

export interface AuditVariables {
  audit?: AuditRecorder;
}

export function createAuditRecorder(options: { db: Db; logger: Logger; userIdHashKey: string }): AuditRecorder {
  return {
    async record(entry) {
      try {
        await recordAudit(options.db, entry);
        return true;
      } catch (error) {
        options.logger.error("audit write failed", { audit: entry, error: describeError(error) });
        return false;
      }
    },
    userTarget: async (userId) => `user:${await hashUserId(userId, options.userIdHashKey)}`,
  };
}

export function auditTrail(recorder: AuditRecorder): MiddlewareHandler<{ Variables: AuditVariables }> {
  return async (c, next) => {
    c.set("audit", recorder);
    await next();
  };
}

// Type-only import: app-env.ts names AuditVariables, and this reads the rest of the environment.
type AuditContext = Context<AppEnv>;

/**
 * Records one action by the caller of this request. `actor` overrides the key id for
 * routes guarded otherwise (the edge's service token).
 */
export async function audit(c: AuditContext, action: string, target?: string | null, detail?: Record<string, unknown>, actor?: string): Promise<void> {
  const recorder = c.get("audit");
  if (!recorder) throw new Error("audit(): the auditTrail middleware is not mounted");
  await recorder.record({
    actor: actor ?? c.get("apiKeyId") ?? "anonymous",
    action,
    target: target ?? null,
    ...(detail ? { detail } : {}),
    requestId: c.get("requestId") ?? null,
  });
}

/** The audit target for a user: a keyed hash, never the id itself. */
export function auditUserTarget(c: AuditContext, userId: string): Promise<string> {
  const recorder = c.get("audit");
  if (!recorder) throw new Error("auditUserTarget(): the auditTrail middleware is not mounted");
  return recorder.userTarget(userId);
}
