import { describe, expect, it } from "vitest";
import { IngestBatchSchema, INGEST_MAX_ROWS, type IngestBatch, type StoredEvent } from "../../models/events.js";
import { ingestParts } from "./backend-client.js";

function events(n: number): StoredEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    event_id: `e${i}`,
    user_id: `u${i % 7}`,
    session_id: null,
    item_id: `i${i % 13}`,
    type: "view",
    value: null,
    ts: 1_700_000_000_000 + i,
    context: null,
  }));
}

describe("ingestParts", () => {
  it("splits a 100-message batch into calls the backend accepts, keeping every row once and in order", () => {
    const batch: IngestBatch = { events: events(2 * INGEST_MAX_ROWS + 345), feedback: [], served: [], shadow: [], rejected: [] };
    const parts = ingestParts(batch);
    expect(parts.map((p) => p.events.length)).toEqual([INGEST_MAX_ROWS, INGEST_MAX_ROWS, 345]);
    for (const p of parts) expect(IngestBatchSchema.safeParse(p).success).toBe(true);
    expect(parts.flatMap((p) => p.events)).toEqual(batch.events);
    // The schema would refuse the whole batch in one call.
    expect(IngestBatchSchema.safeParse(batch).success).toBe(false);
  });

  it("sends a small batch as it is, and an empty one as one empty call", () => {
    const small: IngestBatch = { events: events(3), feedback: [], served: [], shadow: [], rejected: [] };
    expect(ingestParts(small)).toEqual([small]);
    expect(ingestParts({ events: [], feedback: [], served: [], shadow: [], rejected: [] })).toHaveLength(1);
  });
});
