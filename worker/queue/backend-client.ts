/** Forwards a batch to the backend's internal ingest endpoint (idempotent on ids). */
import type { IngestBatch } from "../../models/events.js";
import type { Env } from "../env.js";

const INGEST_TIMEOUT_MS = 10_000;

export async function forwardToBackend(env: Env, batch: IngestBatch): Promise<void> {
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
