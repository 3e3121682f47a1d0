/** Request and response schemas of the audit log API (documented in /openapi.json). */
import { z } from "@hono/zod-openapi";
import { wholeNumberParam } from "../../models/whole-number-param.js";
import type { AuditRow } from "../audit/audit-log.js";
import { limitParam } from "../http/query-params.js";

const BEFORE_MESSAGE = "must be a positive integer (an entry id)";

export const AuditQuerySchema = z.object({
  action: z
    .string()
    .max(64, "must be at most 64 characters")
    .regex(/^[a-z_]+\.[a-z_]+$/, "must be an action such as key.revoke or model.promote")
    .optional()
    .openapi({ description: "Only this action", example: "key.revoke" }),
  limit: limitParam(500, 50),
  before: wholeNumberParam(1, 999_999_999_999_999, BEFORE_MESSAGE)
    .optional()
    .openapi({ description: "Only entries older than this id: pass the previous page's `next_before`", example: 1200 }),
});

export const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.string().openapi({ format: "date-time" }),
    actor: z.string().openapi({ description: "The API key id, or system / scheduler / edge for work no key asked for" }),
    action: z.string().openapi({ example: "model.promote" }),
    target: z.string().nullable().openapi({ description: "What was acted on; a user appears as `user:<keyed hash>`, never by id" }),
    detail: z.record(z.string(), z.unknown()),
    request_id: z.string().nullable(),
  })
  .openapi("AuditEntry");

export const AuditPageSchema = z
  .object({
    entries: z.array(AuditEntrySchema),
    next_before: z.number().int().nullable().openapi({ description: "`before` for the next (older) page; null on the last page" }),
  })
  .openapi("AuditPage");

export function toAuditJson(row: AuditRow): z.infer<typeof AuditEntrySchema> {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    target: row.target,
    detail: row.detail,
    request_id: row.requestId,
  };
}
