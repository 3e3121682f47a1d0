/**
 * Turns a validated client event into the stored form: timestamp resolved, future
 * timestamps refused, and an `event_id` for every event. Without a client id the id is
 * derived from the event's content when it has a timestamp, so re-sending the same
 * batch is recognised as a duplicate rather than counted twice.
 */
import { sha256Hex } from "../../models/hash.js";
import { MAX_FUTURE_SKEW_MS, MIN_EVENT_TS_MS, timestampToMs, type EventInput, type StoredEvent } from "../../models/events.js";

export type Normalised = { ok: true; event: StoredEvent } | { ok: false; error: string };

export async function normaliseEvent(input: EventInput, now: number): Promise<Normalised> {
  const ts = input.ts === undefined ? now : timestampToMs(input.ts);
  if (ts > now + MAX_FUTURE_SKEW_MS) {
    return { ok: false, error: `ts: lies more than ${MAX_FUTURE_SKEW_MS / 60000} minutes in the future` };
  }
  if (ts < MIN_EVENT_TS_MS) return { ok: false, error: "ts: is before 2000-01-01 (seconds sent as milliseconds?)" };
  const event: StoredEvent = {
    event_id: "",
    user_id: input.user_id,
    session_id: input.session_id ?? null,
    item_id: input.item_id,
    type: input.type,
    value: input.value ?? null,
    ts,
    context: input.context ?? null,
  };
  event.event_id = input.event_id ?? (input.ts === undefined ? `ev-${crypto.randomUUID()}` : await contentId(event));
  return { ok: true, event };
}

async function contentId(e: StoredEvent): Promise<string> {
  return `ev-${await sha256Hex(JSON.stringify([e.user_id, e.session_id, e.item_id, e.type, e.value, e.ts]), 16)}`;
}
