/** Schemas of the internal endpoints the edge calls (ingest, erase). */
import { z } from "@hono/zod-openapi";
import { IdSchema, IngestBatchSchema, type IngestBatch } from "../../models/events.js";
import { wholeNumberParam } from "../../models/whole-number-param.js";
import { rejectNulCharacters } from "../http/storable-text.js";

/**
 * The shared schema bounds timestamps below only. Past year 9999 a JavaScript Date (and
 * a sane timestamptz) breaks, which would surface as a 500 from the insert.
 */
export const MAX_STORABLE_TS_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function timestampsInRange(batch: IngestBatch, ctx: z.core.$RefinementCtx): void {
  for (const part of ["events", "feedback", "served", "shadow"] as const) {
    batch[part].forEach((row, i) => {
      if (row.ts > MAX_STORABLE_TS_MS) {
        ctx.addIssue({ code: "custom", path: [part, i, "ts"], message: "must be before year 10000 (epoch milliseconds)" });
      }
    });
  }
}

export const IngestBodySchema = IngestBatchSchema.superRefine(rejectNulCharacters).superRefine(timestampsInRange).openapi("IngestBatch");

const Counts = z.object({ inserted: z.number().int(), duplicates: z.number().int() });

export const IngestResultSchema = z
  .object({
    events: Counts,
    feedback: Counts,
    served: Counts,
    shadow: Counts,
    erased: z
      .object({ events: z.number().int(), feedback: z.number().int(), served: z.number().int(), shadow: z.number().int() })
      .optional()
      .openapi({ description: "Rows of erased users accepted before their erasure, dropped; present only when any were." }),
  })
  .openapi("IngestResult");

export const UserParamsSchema = z.object({
  // A shared model schema gets no .openapi() call (see catalog-schemas.ts).
  userId: IdSchema,
});

export const EraseQuerySchema = z.object({
  // Digits only: z.coerce would read "0x10" as 16 and erase the user as of 1970.
  erased_at: wholeNumberParam(0, MAX_STORABLE_TS_MS, "must be epoch milliseconds (digits only, before year 10000)")
    .optional()
    .openapi({ description: "When the edge erased the user (epoch ms); absent, now." }),
});

export const EraseResultSchema = z
  .object({
    user_id: z.string(),
    user_hash: z.string().openapi({ description: "Keyed hash of the user id, as the tombstone and the logs hold it" }),
    erased_at: z.string().openapi({ format: "date-time", description: "The tombstone's time (the later one if erased before)" }),
    deleted: z.object({
      interactions: z.number().int(),
      feedback: z.number().int(),
      served_lists: z.number().int(),
      shadow_lists: z.number().int(),
      users: z.number().int(),
    }),
  })
  .openapi("EraseResult");
