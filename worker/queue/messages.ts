/**
 * What travels on the events queue: one message per event, feedback or served list,
 * so a consumer batch can mix them and a retry repeats only what failed.
 */
import { z } from "zod";
import { ServedListSchema, StoredEventSchema, StoredFeedbackSchema } from "../../models/events.js";

export const QueueMessageSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("event"), event: StoredEventSchema }),
  z.object({ kind: z.literal("feedback"), feedback: StoredFeedbackSchema }),
  z.object({ kind: z.literal("served"), served: ServedListSchema }),
]);
export type QueueMessage = z.infer<typeof QueueMessageSchema>;

/** Cloudflare Queues take at most 100 messages and 256 KB per sendBatch call. */
const MAX_BATCH_MESSAGES = 100;
const MAX_BATCH_BYTES = 200_000;

export async function sendAll(queue: Queue<unknown>, messages: readonly QueueMessage[]): Promise<void> {
  let batch: Array<{ body: QueueMessage; contentType: "json" }> = [];
  let bytes = 0;
  for (const m of messages) {
    const size = JSON.stringify(m).length + 100;
    if (batch.length >= MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES) {
      await queue.sendBatch(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ body: m, contentType: "json" });
    bytes += size;
  }
  if (batch.length > 0) await queue.sendBatch(batch);
}
