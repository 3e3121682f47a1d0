/**
 * Stores one batch forwarded by the edge's queue consumer: events, feedback, served
 * lists and shadow lists in a single transaction. Delivery is at least once, so every insert skips rows
 * already stored (event_id, feedback_id, request_id) and the user counters only count
 * events inserted now — replaying a batch changes nothing.
 *
 * Erased users: rows of a user with a tombstone (erased_users) that the edge accepted
 * at or before the erasure are dropped, not stored (models/erasure.ts); a per-user lock
 * keeps an erasure from slipping between that check and the inserts.
 */
import { sql } from "drizzle-orm";
import { usersIn, withoutErased, type DroppedCounts } from "../../models/erasure.js";
import type { IngestBatch, ServedList, StoredEvent } from "../../models/events.js";
import { hashUserId } from "../../models/user-hash.js";
import type { Db } from "../db/client.js";
import { resultRows } from "../db/result-rows.js";
import { feedback, rejectedEvents, servedLists, shadowLists, users } from "../db/schema.js";
import { lockUsersShared } from "../users/erasure-lock.js";
import { tombstonesOf } from "../users/erased-users.js";

export interface InsertCounts {
  inserted: number;
  duplicates: number;
}

export interface IngestResult {
  events: InsertCounts;
  feedback: InsertCounts;
  served: InsertCounts;
  shadow: InsertCounts;
  /** The events stored by this call (not the duplicates), for metrics. */
  insertedEvents: Array<Pick<StoredEvent, "type" | "ts">>;
  /** The served lists stored by this call (not the duplicates), for the serving metrics. */
  insertedServed: ServedList[];
  /** Rows of erased users accepted before their erasure, dropped. */
  dropped: DroppedCounts;
}

export async function ingestBatch(db: Db, received: IngestBatch, userIdHashKey: string): Promise<IngestResult> {
  const none = { events: 0, feedback: 0, served: 0, shadow: 0 };
  if (received.events.length + received.feedback.length + received.served.length + received.shadow.length + received.rejected.length === 0) {
    return { events: counts(0, 0), feedback: counts(0, 0), served: counts(0, 0), shadow: counts(0, 0), insertedEvents: [], insertedServed: [], dropped: none };
  }
  const userIds = usersIn(received);
  const hashes = await Promise.all(userIds.map((u) => hashUserId(u, userIdHashKey)));
  return db.transaction(async (tx) => {
    await lockUsersShared(tx, hashes);
    const byHash = await tombstonesOf(tx, hashes);
    const tombstones = new Map<string, number>();
    userIds.forEach((u, i) => {
      const at = byHash.get(hashes[i]!);
      if (at !== undefined) tombstones.set(u, at);
    });
    const { batch, dropped } = withoutErased(received, tombstones);
    const insertedEvents = await insertEvents(tx, batch.events);
    await upsertUsers(tx, insertedEvents);
    const feedbackInserted = await insertFeedback(tx, batch.feedback);
    const servedInserted = await insertServed(tx, batch.served);
    const newServed = new Set(servedInserted);
    const shadowInserted = await insertShadow(tx, batch.shadow);
    await insertRejected(tx, batch.rejected);
    return {
      events: counts(batch.events.length, insertedEvents.length),
      feedback: counts(batch.feedback.length, feedbackInserted),
      served: counts(batch.served.length, servedInserted.length),
      shadow: counts(batch.shadow.length, shadowInserted),
      insertedEvents: insertedEvents.map((e) => ({ type: e.type as StoredEvent["type"], ts: e.ts.getTime() })),
      insertedServed: batch.served.filter((s) => newServed.has(s.request_id)),
      dropped,
    };
  });
}

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

function counts(received: number, inserted: number): InsertCounts {
  return { inserted, duplicates: received - inserted };
}

/**
 * Rows go in sorted by key so concurrent batches lock unique-index entries in the same
 * order and cannot deadlock each other.
 */
export function byKey<T>(rows: readonly T[], key: (row: T) => string): T[] {
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * One statement with one parameter, the rows as JSON: a multi-row VALUES list of 1,000
 * events is 8,000 bound parameters that the driver and Postgres each walk one by one.
 * The rows go in in event-id byte order, so concurrent batches lock index entries in one order.
 */
async function insertEvents(tx: Tx, events: IngestBatch["events"]): Promise<Array<{ userId: string; type: string; ts: Date }>> {
  if (events.length === 0) return [];
  const rows = events.map((e) => ({
    event_id: e.event_id,
    user_id: e.user_id,
    item_id: e.item_id,
    type: e.type,
    value: e.value,
    ts: e.ts,
    session_id: e.session_id,
    context: e.context,
  }));
  const result = await tx.execute(sql`
    INSERT INTO interactions (event_id, user_id, item_id, type, value, ts, session_id, context)
    SELECT r.event_id, r.user_id, r.item_id, r.type, r.value, 'epoch'::timestamptz + r.ts * interval '1 millisecond', r.session_id, r.context
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS r(event_id text, user_id text, item_id text, type text, value double precision, ts bigint, session_id text, context jsonb)
    ORDER BY r.event_id COLLATE "C"
    ON CONFLICT (event_id) DO NOTHING
    RETURNING user_id, type, ts`);
  return resultRows<{ user_id: string; type: string; ts: Date | string }>(result).map((r) => ({
    userId: r.user_id,
    type: r.type,
    ts: r.ts instanceof Date ? r.ts : new Date(r.ts),
  }));
}

async function upsertUsers(tx: Tx, inserted: ReadonlyArray<{ userId: string; ts: Date }>): Promise<void> {
  if (inserted.length === 0) return;
  // One row per user: ON CONFLICT DO UPDATE may not touch the same row twice in a statement.
  const perUser = new Map<string, { first: Date; last: Date; n: number }>();
  for (const { userId, ts } of inserted) {
    const u = perUser.get(userId);
    if (!u) perUser.set(userId, { first: ts, last: ts, n: 1 });
    else {
      if (ts < u.first) u.first = ts;
      if (ts > u.last) u.last = ts;
      u.n += 1;
    }
  }
  const rows = byKey([...perUser], ([id]) => id).map(([userId, u]) => ({
    userId,
    firstSeenAt: u.first,
    lastSeenAt: u.last,
    eventCount: u.n,
  }));
  await tx
    .insert(users)
    .values(rows)
    .onConflictDoUpdate({
      target: users.userId,
      set: {
        firstSeenAt: sql`least(${users.firstSeenAt}, excluded.first_seen_at)`,
        lastSeenAt: sql`greatest(${users.lastSeenAt}, excluded.last_seen_at)`,
        eventCount: sql`${users.eventCount} + excluded.event_count`,
      },
    });
}

async function insertFeedback(tx: Tx, rows: IngestBatch["feedback"]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await tx
    .insert(feedback)
    .values(
      byKey(rows, (f) => f.feedback_id).map((f) => ({
        feedbackId: f.feedback_id,
        requestId: f.request_id,
        userId: f.user_id,
        itemId: f.item_id,
        type: f.type,
        ts: new Date(f.ts),
      })),
    )
    .onConflictDoNothing({ target: feedback.feedbackId })
    .returning({ id: feedback.feedbackId });
  return inserted.length;
}

/** The request ids of the rows stored now. */
async function insertServed(tx: Tx, rows: IngestBatch["served"]): Promise<string[]> {
  if (rows.length === 0) return [];
  const inserted = await tx
    .insert(servedLists)
    .values(
      byKey(rows, (s) => s.request_id).map((s) => ({
        requestId: s.request_id,
        userId: s.user_id,
        modelVersion: s.model_version,
        context: s.context,
        items: s.items,
        degraded: s.degraded,
        ts: new Date(s.ts),
        experimentId: s.experiment?.id ?? null,
        variant: s.experiment?.variant ?? null,
        latencyMs: s.latency_ms ?? null,
        scores: s.scores ?? null,
        features: s.features ?? null,
      })),
    )
    .onConflictDoNothing({ target: servedLists.requestId })
    .returning({ id: servedLists.requestId });
  return inserted.map((r) => r.id);
}

async function insertRejected(tx: Tx, rows: IngestBatch["rejected"]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insert(rejectedEvents)
    .values(rows.map((r) => ({ tallyId: r.tally_id, ts: new Date(r.ts), count: r.count, fields: r.fields })))
    .onConflictDoNothing({ target: rejectedEvents.tallyId });
}

async function insertShadow(tx: Tx, rows: IngestBatch["shadow"]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await tx
    .insert(shadowLists)
    .values(
      byKey(rows, (s) => `${s.request_id} ${s.model_version}`).map((s) => ({
        requestId: s.request_id,
        modelVersion: s.model_version,
        userId: s.user_id,
        items: s.items,
        latencyMs: s.latency_ms,
        ts: new Date(s.ts),
      })),
    )
    .onConflictDoNothing({ target: [shadowLists.requestId, shadowLists.modelVersion] })
    .returning({ id: shadowLists.requestId });
  return inserted.length;
}
