/** Forwards a batch to the backend's internal ingest endpoint (idempotent on ids). */
import { INGEST_MAX_ROWS, type IngestBatch } from "../../models/events.js";
import type { Env } from "../env.js";

const INGEST_TIMEOUT_MS = 10_000;

/**
 * A queue batch of up to 100 messages holds up to 5,000 events, more than one ingest
 * call takes: the parts go in calls of at most INGEST_MAX_ROWS rows of each kind. Every
 * part is idempotent, so when one fails the whole batch is retried safely.
 */
export function ingestParts(batch: IngestBatch, maxRows = INGEST_MAX_ROWS): IngestBatch[] {
  const kinds = ["events", "feedback", "served", "shadow", "rejected"] as const;
  const parts = Math.max(1, ...kinds.map((k) => Math.ceil(batch[k].length / maxRows)));
  return Array.from({ length: parts }, (_, i) => ({
    events: batch.events.slice(i * maxRows, (i + 1) * maxRows),
    feedback: batch.feedback.slice(i * maxRows, (i + 1) * maxRows),
    served: batch.served.slice(i * maxRows, (i + 1) * maxRows),
    shadow: batch.shadow.slice(i * maxRows, (i + 1) * maxRows),
    rejected: batch.rejected.slice(i * maxRows, (i + 1) * maxRows),
  }));
}

export async function forwardToBackend(env: Env, batch: IngestBatch): Promise<void> {
  // In parallel: the backend sorts each part's keys, so concurrent parts cannot deadlock.
  // Every part runs to its end before the batch is judged, as the consumer's two steps do.
  const outcomes = await Promise.allSettled(ingestParts(batch).map((part) => postIngest(env, part)));
  const failed = outcomes.find((o) => o.status === "rejected");
  if (failed) throw failed.reason;
}

async function postIngest(env: Env, batch: IngestBatch): Promise<void> {
  const res = await fetch(new URL("/internal/v1/ingest", env.BACKEND_URL), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${env.BACKEND_TOKEN ?? ""}` },
    body: JSON.stringify(batch),
    signal: AbortSignal.timeout(INGEST_TIMEOUT_MS),
  });
  if (!res.ok) {
    const text = await res.text().catch(() => "");
    throw new Error(`backend ingest answered ${res.status}: ${text.slice(0, 200)}`);
  }
  await res.body?.cancel();
}
