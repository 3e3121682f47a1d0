/**
 * One row of a history import (NDJSON object or CSV record) → the event the backend
 * stores, or the reason it cannot be.
 *
 * Differences from live intake (models/events.ts EventInputSchema), on purpose:
 * - `ts` is required and may be anywhere since 1970: history is old by nature. The live
 *   intake keeps its 2000-01-01 floor, which guards against seconds sent as ms.
 * - `event_id` may be left out; the id is then derived from the row's content
 *   (user, item, type, ts, value), so importing the same file twice adds nothing. Two
 *   identical rows are therefore one event.
 * - CSV fields arrive as text: `ts` may be epoch milliseconds (digits only) or ISO-8601
 *   with a zone, `value` a decimal number, empty cells mean "absent".
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { EVENT_TYPES, IdSchema, MAX_FUTURE_SKEW_MS, type StoredEvent } from "../../models/events.js";

export const IMPORT_COLUMNS = ["event_id", "user_id", "item_id", "type", "ts", "value", "session_id"] as const;

const DIGITS = /^\d+$/;

const TsSchema = z.union([z.number(), z.string()]).transform((raw, ctx) => {
  const ms = typeof raw === "number" ? raw : DIGITS.test(raw) ? Number(raw) : z.iso.datetime({ offset: true }).safeParse(raw).success ? Date.parse(raw) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    ctx.addIssue({ code: "custom", message: "must be epoch milliseconds (a whole number ≥ 0) or ISO-8601 with a time zone" });
    return z.NEVER;
  }
  return ms;
});

const ValueSchema = z.union([z.number(), z.string()]).transform((raw, ctx) => {
  const v = typeof raw === "number" ? raw : /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(v) || Math.abs(v) > 1e9) {
    ctx.addIssue({ code: "custom", message: "must be a number between -1e9 and 1e9" });
    return z.NEVER;
  }
  return v;
});

export const ImportRowSchema = z.strictObject({
  event_id: IdSchema.optional(),
  user_id: IdSchema,
  item_id: IdSchema,
  type: z.enum(EVENT_TYPES, { message: `must be one of ${EVENT_TYPES.join(", ")}` }),
  ts: TsSchema,
  value: ValueSchema.optional(),
  session_id: IdSchema.optional(),
});

export type ImportedEvent = Omit<StoredEvent, "received_at" | "context">;

export type RowResult = { readonly ok: true; readonly event: ImportedEvent } | { readonly ok: false; readonly field: string; readonly reason: string };

/** A stable id from the row's content, so a re-import of the same row is a duplicate. */
export function contentEventId(e: Pick<ImportedEvent, "user_id" | "item_id" | "type" | "ts" | "value">): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([e.user_id, e.item_id, e.type, e.ts, e.value]))
    .digest("hex");
  return `imp-${digest.slice(0, 32)}`;
}

/** Empty CSV cells are absent fields, not empty strings. */
function withoutEmpty(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== "" && v !== null && v !== undefined) out[k] = v;
  return out;
}

export function parseImportRow(row: unknown, now: number): RowResult {
  if (typeof row !== "object" || row === null || Array.isArray(row)) return { ok: false, field: "row", reason: "must be a JSON object" };
  const fields = withoutEmpty(row as Record<string, unknown>);
  const parsed = ImportRowSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === "unrecognized_keys") return { ok: false, field: issue.keys.join(","), reason: `unknown field${issue.keys.length > 1 ? "s" : ""}` };
    const key = issue.path[0];
    const missing = typeof key === "string" && !(key in fields);
    return { ok: false, field: issue.path.length > 0 ? issue.path.join(".") : "row", reason: missing ? "is required" : issue.message };
  }
  const r = parsed.data;
  if (r.ts > now + MAX_FUTURE_SKEW_MS) return { ok: false, field: "ts", reason: "is in the future" };
  const value = r.value ?? null;
  const event: ImportedEvent = {
    event_id: r.event_id ?? contentEventId({ user_id: r.user_id, item_id: r.item_id, type: r.type, ts: r.ts, value }),
    user_id: r.user_id,
    session_id: r.session_id ?? null,
    item_id: r.item_id,
    type: r.type,
    value,
    ts: r.ts,
  };
  return { ok: true, event };
}
