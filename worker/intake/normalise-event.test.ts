import { describe, expect, it } from "vitest";
import { normaliseEvent } from "./normalise-event.js";

const now = Date.UTC(2026, 5, 1);

describe("normaliseEvent", () => {
  it("derives the same id for the same content, so a re-sent batch is a duplicate", async () => {
    const input = { user_id: "u", item_id: "i", type: "view" as const, ts: "2026-05-31T10:00:00Z" };
    const a = await normaliseEvent(input, now);
    const b = await normaliseEvent(input, now + 5000);
    expect(a.ok && b.ok && a.event.event_id === b.event.event_id).toBe(true);
    const c = await normaliseEvent({ ...input, item_id: "j" }, now);
    expect(c.ok && a.ok && c.event.event_id !== a.event.event_id).toBe(true);
  });

  it("accepts the past, refuses the future beyond the skew and nonsense timestamps", async () => {
    expect((await normaliseEvent({ user_id: "u", item_id: "i", type: "view", ts: Date.UTC(2020, 0, 1) }, now)).ok).toBe(true);
    const future = await normaliseEvent({ user_id: "u", item_id: "i", type: "view", ts: now + 10 * 60_000 }, now);
    expect(future).toEqual({ ok: false, error: "ts: lies more than 5 minutes in the future" });
    expect((await normaliseEvent({ user_id: "u", item_id: "i", type: "view", ts: 1_700_000_000 }, now)).ok).toBe(false);
  });

  it("keeps a client's event id and fills defaults", async () => {
    const r = await normaliseEvent({ event_id: "e-1", user_id: "u", item_id: "i", type: "click" }, now);
    expect(r).toEqual({
      ok: true,
      event: { event_id: "e-1", user_id: "u", session_id: null, item_id: "i", type: "click", value: null, ts: now, context: null },
    });
  });
});
