import { describe, expect, it } from "vitest";
import type { IngestBatch } from "./events.js";
import { usersIn, withoutErased } from "./erasure.js";

const ev = (user: string, ts: number, received_at?: number) => ({
  event_id: `${user}-${ts}`,
  user_id: user,
  session_id: null,
  item_id: "i",
  type: "view" as const,
  value: null,
  ts,
  context: null,
  ...(received_at === undefined ? {} : { received_at }),
});

describe("withoutErased", () => {
  const batch: IngestBatch = {
    events: [ev("gone", 10, 100), ev("gone", 10, 201), ev("gone", 150), ev("kept", 10, 100)],
    feedback: [{ feedback_id: "f", request_id: "r", user_id: "gone", item_id: "i", type: "click", ts: 50, received_at: 200 }],
    served: [{ request_id: "r", user_id: "gone", model_version: "v", context: null, items: [], degraded: [], ts: 250 }],
    shadow: [{ request_id: "r", user_id: "gone", model_version: "s", items: [], latency_ms: 3, ts: 190 }],
    // Tallies name no user: nothing to erase.
    rejected: [{ tally_id: "t", ts: 100, count: 2, fields: { ts: 2 } }],
  };

  it("drops a tombstoned user's rows accepted at or before the erasure, keeps later ones and other users'", () => {
    const { batch: out, dropped } = withoutErased(batch, new Map([["gone", 200]]));
    expect(out.events.map((e) => `${e.user_id}:${e.received_at ?? "-"}`)).toEqual(["gone:201", "kept:100"]);
    expect(out.feedback).toEqual([]);
    expect(out.served).toHaveLength(1);
    expect(out.shadow).toEqual([]);
    expect(out.rejected).toEqual(batch.rejected);
    expect(dropped).toEqual({ events: 2, feedback: 1, served: 0, shadow: 1 });
  });

  it("changes nothing without tombstones", () => {
    expect(withoutErased(batch, new Map()).batch).toBe(batch);
    expect(usersIn({ ...batch, shadow: [{ ...batch.shadow[0]!, user_id: "shadowed" }] }).sort()).toEqual(["gone", "kept", "shadowed"]);
  });
});
