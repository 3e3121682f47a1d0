import { describe, expect, it } from "vitest";
import { toIngestBatch } from "../queue/consumer.js";
import { QueueMessageSchema } from "../queue/messages.js";
import { rejectedTally } from "./accept-events.js";

describe("the tally of refused events", () => {
  it("counts refusals by the field each error names, under the request's id", () => {
    const tally = rejectedTally(
      "req-1",
      [
        { index: 1, error: "type: must be one of view, click" },
        { index: 3, error: "user_id: must not be empty" },
        { index: 4, error: "ts: must not be in the future" },
        { index: 6, error: "ts: must be a number" },
      ],
      1_800_000_000_000,
    );
    expect(tally).toEqual({ tally_id: "req-1", ts: 1_800_000_000_000, count: 4, fields: { type: 1, user_id: 1, ts: 2 } });
    // It travels on the queue and reaches the backend's batch as sent.
    const message = QueueMessageSchema.parse({ kind: "rejected", rejected: tally });
    expect(toIngestBatch([message]).rejected).toEqual([tally]);
  });

  it("is nothing when every event was valid", () => {
    expect(rejectedTally("req-2", [], 0)).toBeNull();
  });

  it("names at most 32 fields, still counting every refusal", () => {
    const errors = Array.from({ length: 40 }, (_, i) => ({ index: i, error: `context.k${i}: is invalid` }));
    const tally = rejectedTally("req-3", errors, 0)!;
    expect(Object.keys(tally.fields)).toHaveLength(32);
    expect(tally.count).toBe(40);
    expect(QueueMessageSchema.safeParse({ kind: "rejected", rejected: tally }).success).toBe(true);
  });
});
