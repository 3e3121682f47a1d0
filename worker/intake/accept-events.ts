/**
 * Event intake: validate each event on its own (one bad event does not sink the
 * batch), update each user's session object so the next request is personal, and put
 * every valid event on the queue. The queue send is what makes an event accepted; if
 * it fails the request fails with 503 and the client retries with the same ids.
 *
 * Consent: the session object is asked first, and the events of a user who turned
 * personalisation off are stored nowhere — not in the object, not on the queue. They
 * are answered as `ignored` (reason "consent"), not as errors. If the object cannot be
 * reached the events are kept (personalisation is on by default, and a store failure
 * degrades, it does not drop data).
 */
import { EventInputSchema, type RejectedTally, type StoredEvent } from "../../models/events.js";
import type { SessionEvent } from "../../durable-objects/user-session.js";
import type { EdgeConfig } from "../config.js";
import type { Env } from "../env.js";
import { ApiError, describeZodError } from "../http/errors.js";
import { chunk, EVENTS_PER_MESSAGE, sendAll } from "../queue/messages.js";
import { appendToSession } from "../session/session-store.js";
import { normaliseEvent } from "./normalise-event.js";

export interface IntakeResult {
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; error: string }>;
  /** Valid events not stored on purpose (their user turned personalisation off). */
  ignored: Array<{ index: number; reason: "consent" }>;
  degraded: string[];
}

const SESSION_CONCURRENCY = 32;

/** `requestId` names the tally of refused events sent on for the data-quality checks. */
export async function acceptEvents(env: Env, config: EdgeConfig, raw: readonly unknown[], now: number, requestId: string): Promise<IntakeResult> {
  const { valid, rejected } = await validate(raw, now);
  const stamped = valid.map((v) => ({ ...v, event: { ...v.event, received_at: now } }));
  const sessions = await updateSessions(env, config, dedupe(stamped.map((v) => v.event)).unique, now);
  const ignored = stamped.filter((v) => sessions.withoutConsent.has(v.event.user_id)).map((v) => ({ index: v.index, reason: "consent" as const }));
  const kept = dedupe(stamped.filter((v) => !sessions.withoutConsent.has(v.event.user_id)).map((v) => v.event));
  await enqueue(env, kept.unique, rejectedTally(requestId, rejected, now));
  return {
    accepted: kept.unique.length - sessions.duplicates,
    duplicates: kept.repeatedInBatch + sessions.duplicates,
    rejected,
    ignored,
    degraded: sessions.failed ? ["session"] : [],
  };
}

/** How many events were refused, by the field each error names ("ts: must be …" → ts). */
export function rejectedTally(requestId: string, rejected: IntakeResult["rejected"], now: number): RejectedTally | null {
  if (rejected.length === 0) return null;
  const fields: Record<string, number> = {};
  for (const r of rejected) {
    const field = (r.error.split(":")[0] ?? "body").slice(0, 64);
    if (fields[field] !== undefined || Object.keys(fields).length < 32) fields[field] = (fields[field] ?? 0) + 1;
  }
  return { tally_id: requestId, ts: now, count: rejected.length, fields };
}

/** The queue is what makes an event accepted; if it is unavailable the client must retry. */
async function enqueue(env: Env, events: StoredEvent[], tally: RejectedTally | null): Promise<void> {
  try {
    await sendAll(env.EVENTS_QUEUE, [
      ...chunk(events, EVENTS_PER_MESSAGE).map((c) => ({ kind: "events" as const, events: c })),
      ...(tally ? [{ kind: "rejected" as const, rejected: tally }] : []),
    ]);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "events queue send failed", error: String(err) }));
    throw new ApiError(503, "queue_unavailable", "events could not be queued; retry the batch (event ids make retries safe)", undefined, {
      "retry-after": "1",
    });
  }
}

async function validate(raw: readonly unknown[], now: number) {
  const valid: Array<{ index: number; event: StoredEvent }> = [];
  const rejected: IntakeResult["rejected"] = [];
  for (let index = 0; index < raw.length; index++) {
    const parsed = EventInputSchema.safeParse(raw[index]);
    if (!parsed.success) {
      const { field, message } = describeZodError(parsed.error);
      rejected.push({ index, error: `${field}: ${message}` });
      continue;
    }
    const n = await normaliseEvent(parsed.data, now);
    if (n.ok) valid.push({ index, event: n.event });
    else rejected.push({ index, error: n.error });
  }
  return { valid, rejected };
}

function dedupe(events: StoredEvent[]): { unique: StoredEvent[]; repeatedInBatch: number } {
  const byId = new Map<string, StoredEvent>();
  for (const e of events) if (!byId.has(e.event_id)) byId.set(e.event_id, e);
  return { unique: [...byId.values()], repeatedInBatch: events.length - byId.size };
}

interface SessionOutcome {
  /** Events the session objects already held. */
  duplicates: number;
  /** Users whose object answered that personalisation is off. */
  withoutConsent: Set<string>;
  failed: boolean;
}

async function updateSessions(env: Env, config: EdgeConfig, events: StoredEvent[], receivedAt: number): Promise<SessionOutcome> {
  const byUser = new Map<string, SessionEvent[]>();
  for (const e of events) {
    const list = byUser.get(e.user_id) ?? [];
    list.push({ event_id: e.event_id, item_id: e.item_id, type: e.type, ts: e.ts, session_id: e.session_id });
    byUser.set(e.user_id, list);
  }
  const users = [...byUser.entries()];
  let duplicates = 0;
  let failed = false;
  const withoutConsent = new Set<string>();
  for (let i = 0; i < users.length; i += SESSION_CONCURRENCY) {
    const slice = users.slice(i, i + SESSION_CONCURRENCY);
    const results = await Promise.allSettled(slice.map(([u, evs]) => appendToSession(env, u, evs, config.consumedTypes, receivedAt)));
    for (const [j, r] of results.entries()) {
      if (r.status === "fulfilled") {
        duplicates += r.value.duplicates.length;
        if (!r.value.consent) withoutConsent.add(slice[j]![0]);
      } else {
        failed = true;
        console.warn(JSON.stringify({ level: "warn", msg: "session append failed", error: String(r.reason) }));
      }
    }
  }
  return { duplicates, withoutConsent, failed };
}
