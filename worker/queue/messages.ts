/**
 * What travels on the events queue. Events and served lists travel in chunks: one
 * message per event would multiply queue operations (billed per operation) and, in
 * the local simulator, exhaust its timers under bulk intake. A chunk stays well under
 * the 128 KB message limit.
 */
import { z } from "zod";
import { RejectedTallySchema, ServedListSchema, ShadowListSchema, StoredEventSchema, StoredFeedbackSchema } from "../../models/events.js";

export const EVENTS_PER_MESSAGE = 50;
export const SERVED_PER_MESSAGE = 20;

export const QueueMessageSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("events"), events: z.array(StoredEventSchema).min(1).max(EVENTS_PER_MESSAGE) }),
  z.object({ kind: z.literal("feedback"), feedback: StoredFeedbackSchema }),
  z.object({ kind: z.literal("served"), served: z.array(ServedListSchema).min(1).max(SERVED_PER_MESSAGE) }),
  z.object({ kind: z.literal("shadow"), shadow: z.array(ShadowListSchema).min(1).max(SERVED_PER_MESSAGE) }),
  z.object({ kind: z.literal("rejected"), rejected: RejectedTallySchema }),
]);
export type QueueMessage = z.infer<typeof QueueMessageSchema>;

/** Cloudflare Queues take at most 100 messages and 256 KB per sendBatch call. */
const MAX_BATCH_MESSAGES = 100;
const MAX_BATCH_BYTES = 200_000;

export function chunk<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

export async function sendAll(queue: Queue<unknown>, messages: readonly QueueMessage[]): Promise<void> {
  let batch: Array<{ body: QueueMessage; contentType: "json" }> = [];
  let bytes = 0;
  for (const m of messages) {
    const size = JSON.stringify(m).length + 100;
    if (batch.length > 0 && (batch.length >= MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      await queue.sendBatch(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ body: m, contentType: "json" });
    bytes += size;
  }
  if (batch.length > 0) await queue.sendBatch(batch);
}
