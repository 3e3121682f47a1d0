/**
 * Event intake: validate each event on its own (one bad event does not sink the
 * batch), update each user's session object so the next request is personal, and put
 * every valid event on the queue. The queue send is what makes an event accepted; if
 * it fails the request fails with 503 and the client retries with the same ids.
 */
import { EventInputSchema, type StoredEvent } from "../../models/events.js";
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
  degraded: string[];
}

const SESSION_CONCURRENCY = 32;

export async function acceptEvents(env: Env, config: EdgeConfig, raw: readonly unknown[], now: number): Promise<IntakeResult> {
  const { valid, rejected } = await validate(raw, now);
  const { unique, repeatedInBatch } = dedupe(valid);
  const [sessionDuplicates] = await Promise.all([
    updateSessions(env, config, unique),
    enqueue(env, unique),
  ]);
  const duplicates = repeatedInBatch + (sessionDuplicates ?? 0);
  return {
    accepted: unique.length - (sessionDuplicates ?? 0),
    duplicates,
    rejected,
    degraded: sessionDuplicates === null ? ["session"] : [],
  };
}

/** The queue is what makes an event accepted; if it is unavailable the client must retry. */
async function enqueue(env: Env, events: StoredEvent[]): Promise<void> {
  try {
    await sendAll(env.EVENTS_QUEUE, chunk(events, EVENTS_PER_MESSAGE).map((c) => ({ kind: "events" as const, events: c })));
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "events queue send failed", error: String(err) }));
    throw new ApiError(503, "queue_unavailable", "events could not be queued; retry the batch (event ids make retries safe)", undefined, { "retry-after": "1" });
  }
}

async function validate(raw: readonly unknown[], now: number) {
  const valid: StoredEvent[] = [];
  const rejected: IntakeResult["rejected"] = [];
  for (let index = 0; index < raw.length; index++) {
    const parsed = EventInputSchema.safeParse(raw[index]);
    if (!parsed.success) {
      const { field, message } = describeZodError(parsed.error);
      rejected.push({ index, error: `${field}: ${message}` });
      continue;
    }
    const n = await normaliseEvent(parsed.data, now);
    if (n.ok) valid.push(n.event);
    else rejected.push({ index, error: n.error });
  }
  return { valid, rejected };
}

function dedupe(events: StoredEvent[]): { unique: StoredEvent[]; repeatedInBatch: number } {
  const byId = new Map<string, StoredEvent>();
  for (const e of events) if (!byId.has(e.event_id)) byId.set(e.event_id, e);
  return { unique: [...byId.values()], repeatedInBatch: events.length - byId.size };
}

/** Returns how many events the session objects already held, or null if any update failed. */
async function updateSessions(env: Env, config: EdgeConfig, events: StoredEvent[]): Promise<number | null> {
  const byUser = new Map<string, SessionEvent[]>();
  for (const e of events) {
    const list = byUser.get(e.user_id) ?? [];
    list.push({ event_id: e.event_id, item_id: e.item_id, type: e.type, ts: e.ts, session_id: e.session_id });
    byUser.set(e.user_id, list);
  }
  const users = [...byUser.entries()];
  let duplicates = 0;
  let failed = false;
  for (let i = 0; i < users.length; i += SESSION_CONCURRENCY) {
    const results = await Promise.allSettled(
      users.slice(i, i + SESSION_CONCURRENCY).map(([u, evs]) => appendToSession(env, u, evs, config.consumedTypes)),
    );
    for (const r of results) {
      if (r.status === "fulfilled") duplicates += r.value.duplicates.length;
      else {
        failed = true;
        console.warn(JSON.stringify({ level: "warn", msg: "session append failed", error: String(r.reason) }));
      }
    }
  }
  return failed ? null : duplicates;
}
