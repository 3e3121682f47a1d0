/**
 * Queue consumer: for each batch, update the real-time features in Redis and forward
 * the batch to the backend's system of record. Both steps are idempotent (event ids),
 * so on any failure the whole batch is retried with exponential back-off; after
 * `max_retries` the queue moves it to the dead-letter queue, whose consumer keeps it
 * in R2. Nothing is dropped silently.
 *
 * Erasure: rows of users erased after the edge accepted them are dropped first
 * (privacy/drop-erased.ts, one Redis MGET per batch), and logged as dropped by count and
 * user hash; if the tombstones cannot be read the batch is retried like any Redis failure.
 */
import type { IngestBatch, StoredEvent } from "../../models/events.js";
import { edgeConfig } from "../config.js";
import type { Env } from "../env.js";
import { applyEventsToFeatures } from "../features/feature-writer.js";
import { redisClient } from "../features/redis-client.js";
import { dropErased } from "../privacy/drop-erased.js";
import { userHashKey } from "../privacy/user-hash-key.js";
import type { DroppedCounts } from "../../models/erasure.js";
import { forwardToBackend } from "./backend-client.js";
import { QueueMessageSchema, type QueueMessage } from "./messages.js";

const FEATURE_BUDGET_MS = 5_000;
const MAX_DELAY_S = 300;

export const EVENTS_QUEUE_NAME = "recs-events";
export const DEAD_LETTER_QUEUE_NAME = "recs-events-dlq";

export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  if (batch.queue === DEAD_LETTER_QUEUE_NAME) return await keepDeadLetters(batch.queue, batch.messages, env);
  const { valid, invalid } = parseMessages(batch.messages);
  if (invalid.length > 0) await keepDeadLetters(batch.queue, invalid, env);
  if (valid.length === 0) return;
  const redis = redisClient(env, FEATURE_BUDGET_MS);
  let failures: string[];
  try {
    const checked = await dropErased(redis, toIngestBatch(valid.map((v) => v.body)), userHashKey(env));
    logDropped(checked.dropped);
    const ingest = checked.batch;
    // Both steps run to completion before deciding, so a fast failure of one does not
    // abandon the other half-done.
    const outcomes = await Promise.allSettled([
      applyEventsToFeatures(redis, ingest.events, edgeConfig(env).eventWeights, Date.now()).then(checked.sweepRaced),
      forwardToBackend(env, ingest),
    ]);
    failures = outcomes.flatMap((o) => (o.status === "rejected" ? [String(o.reason)] : []));
  } catch (err) {
    failures = [`erasure tombstones unreadable: ${String(err)}`];
  }
  if (failures.length === 0) {
    for (const v of valid) v.message.ack();
  } else {
    const err = failures.join("; ");
    const attempts = Math.max(1, ...valid.map((v) => v.message.attempts));
    const delaySeconds = retryDelaySeconds(attempts, edgeConfig(env).retryBaseSeconds);
    console.warn(JSON.stringify({ level: "warn", msg: "queue batch failed; retrying", attempts, delaySeconds, error: String(err) }));
    for (const v of valid) v.message.retry({ delaySeconds });
  }
}

function logDropped(dropped: DroppedCounts): void {
  if (dropped.events + dropped.feedback + dropped.served === 0) return;
  console.log(JSON.stringify({ level: "info", msg: "dropped rows of erased users", ...dropped }));
}

/** Exponential back-off: base, 2·base, 4·base, … capped at five minutes. */
export function retryDelaySeconds(attempts: number, baseSeconds: number): number {
  return Math.min(MAX_DELAY_S, baseSeconds * 2 ** (Math.max(1, attempts) - 1));
}

function parseMessages(messages: readonly Message<unknown>[]) {
  const valid: Array<{ message: Message<unknown>; body: QueueMessage }> = [];
  const invalid: Message<unknown>[] = [];
  for (const message of messages) {
    const parsed = QueueMessageSchema.safeParse(message.body);
    if (parsed.success) valid.push({ message, body: parsed.data });
    else invalid.push(message);
  }
  return { valid, invalid };
}

export function toIngestBatch(messages: readonly QueueMessage[]): IngestBatch {
  const batch: IngestBatch = { events: [], feedback: [], served: [], shadow: [], rejected: [] };
  for (const m of messages) {
    if (m.kind === "events") batch.events.push(...(m.events as StoredEvent[]));
    else if (m.kind === "feedback") batch.feedback.push(m.feedback);
    else if (m.kind === "served") batch.served.push(...m.served);
    else if (m.kind === "shadow") batch.shadow.push(...m.shadow);
    else batch.rejected.push(m.rejected);
  }
  return batch;
}

/** Dead letters go to R2 under a dated prefix, where an operator can inspect and replay them. */
async function keepDeadLetters(queue: string, messages: readonly Message<unknown>[], env: Env): Promise<void> {
  const day = new Date().toISOString().slice(0, 10);
  for (const message of messages) {
    try {
      await env.ARTIFACTS.put(
        `dead-letters/${day}/${message.id}.json`,
        JSON.stringify({ id: message.id, queue, attempts: message.attempts, body: message.body }),
      );
      console.error(JSON.stringify({ level: "error", msg: "message dead-lettered", id: message.id, key: `dead-letters/${day}/${message.id}.json` }));
      message.ack();
    } catch (err) {
      message.retry({ delaySeconds: 60 });
      console.error(JSON.stringify({ level: "error", msg: "could not store dead letter", id: message.id, error: String(err) }));
    }
  }
}
