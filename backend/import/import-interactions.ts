/**
 * History import: a stream of records (import-records.ts) into the interactions table
 * in one transaction, multi-row inserts of `batchSize` rows.
 *
 * - All or nothing: a broken stream, a database error or more bad rows than
 *   `maxBadRows` roll the whole import back, so a failed import leaves nothing behind
 *   and can simply be sent again.
 * - Bad rows (line, field, reason) are skipped and reported; the rest is stored.
 * - Idempotent: rows go in with ON CONFLICT (event_id) DO NOTHING, and rows without an
 *   event_id get one derived from their content (import-row.ts).
 * - Erased users stay erased: a row of a user with a tombstone whose `ts` is at or
 *   before the erasure is dropped and counted; history re-sent after an erasure is
 *   exactly what the tombstone must keep out. Shared per-user locks serialise with
 *   erasure as live ingest does (users/erasure-lock.ts).
 * - Rows are sorted by event_id within a batch, as live ingest sorts, so an import and
 *   concurrent ingest lock unique-index entries in the same order.
 * - Batches of 5,000 rows, each one statement (insertBatch).
 */
import { hashUserId } from "../../models/user-hash.js";
import type { Db } from "../db/client.js";
import { sql } from "drizzle-orm";
import { resultRows } from "../db/result-rows.js";
import { ApiError } from "../http/api-error.js";
import { byKey, type Tx } from "../ingest/ingest-batch.js";
import { lockUsersShared } from "../users/erasure-lock.js";
import { tombstonesOf } from "../users/erased-users.js";
import type { ImportRecord } from "./import-records.js";
import { type ImportedEvent, parseImportRow } from "./import-row.js";

export interface BadRow {
  readonly line: number;
  readonly field: string;
  readonly reason: string;
}

export interface ImportOptions {
  readonly userIdHashKey: string;
  /** More bad rows than this abort the import (nothing stored). Default 1,000. */
  readonly maxBadRows?: number;
  /** Rows per statement. Default 5,000. */
  readonly batchSize?: number;
  readonly now?: number;
  /** Called after each stored batch with the rows read so far. */
  readonly onProgress?: (rowsRead: number) => void;
}

export interface ImportResult {
  /** Records read, good and bad (blank lines and the CSV header excluded). */
  rows: number;
  stored: number;
  /** Rows already stored by an earlier import or by live intake (same event_id). */
  duplicates: number;
  /** Rows of erased users from before their erasure, dropped. */
  erased: number;
  bad: number;
  /** The bad rows, in line order, at most REPORTED_BAD_ROWS of them. */
  badRows: BadRow[];
  users: number;
  elapsedMs: number;
}

export const DEFAULT_MAX_BAD_ROWS = 1000;
export const REPORTED_BAD_ROWS = 1000;

export async function importInteractions(db: Db, records: AsyncIterable<ImportRecord>, options: ImportOptions): Promise<ImportResult> {
  const started = performance.now();
  const maxBad = options.maxBadRows ?? DEFAULT_MAX_BAD_ROWS;
  const batchSize = options.batchSize ?? 5000;
  const now = options.now ?? Date.now();
  const hashes = new Map<string, string>();
  const users = new Set<string>();
  const result: ImportResult = { rows: 0, stored: 0, duplicates: 0, erased: 0, bad: 0, badRows: [], users: 0, elapsedMs: 0 };

  const reject = (bad: BadRow) => {
    result.bad++;
    if (result.badRows.length < REPORTED_BAD_ROWS) result.badRows.push(bad);
    if (result.bad > maxBad) {
      const first = result.badRows[0]!;
      throw new ApiError(
        422,
        "too_many_bad_rows",
        `more than ${maxBad} bad rows (max_bad_rows); nothing was stored. First: line ${first.line}: ${first.field} ${first.reason}`,
        "body",
      );
    }
  };

  await db.transaction(async (tx) => {
    let batch: ImportedEvent[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const counts = await storeBatch(tx, batch, hashes, options.userIdHashKey);
      result.stored += counts.stored;
      result.duplicates += counts.duplicates;
      result.erased += counts.erased;
      batch = [];
      options.onProgress?.(result.rows);
    };
    for await (const record of records) {
      result.rows++;
      if ("error" in record) {
        reject({ line: record.line, field: "row", reason: record.error });
        continue;
      }
      const parsed = parseImportRow(record.row, now);
      if (!parsed.ok) {
        reject({ line: record.line, field: parsed.field, reason: parsed.reason });
        continue;
      }
      batch.push(parsed.event);
      users.add(parsed.event.user_id);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  });
  result.users = users.size;
  result.elapsedMs = Math.round(performance.now() - started);
  return result;
}

async function storeBatch(
  tx: Tx,
  batch: readonly ImportedEvent[],
  hashes: Map<string, string>,
  hashKey: string,
): Promise<{ stored: number; duplicates: number; erased: number }> {
  const batchUsers = [...new Set(batch.map((e) => e.user_id))];
  for (const u of batchUsers) if (!hashes.has(u)) hashes.set(u, await hashUserId(u, hashKey));
  const userHashes = batchUsers.map((u) => hashes.get(u)!);
  await lockUsersShared(tx, userHashes);
  const tombstones = await tombstonesOf(tx, userHashes);
  const kept = tombstones.size === 0 ? batch : batch.filter((e) => !(e.ts <= (tombstones.get(hashes.get(e.user_id)!) ?? -1)));
  const erased = batch.length - kept.length;
  if (kept.length === 0) return { stored: 0, duplicates: 0, erased };
  const stored = await insertBatch(tx, kept);
  return { stored, duplicates: kept.length - stored, erased };
}

/**
 * One statement per batch: the rows travel as seven arrays (unnest), not as 7 × n bind
 * parameters, which is what makes the import several times faster than a multi-row
 * VALUES insert; the users' first/last seen and counts follow from the rows actually
 * inserted, in the same statement.
 */
async function insertBatch(tx: Tx, rows: readonly ImportedEvent[]): Promise<number> {
  const sorted = byKey(rows, (e) => e.event_id);
  const column = <T>(f: (e: ImportedEvent) => T) => sql.param(sorted.map(f));
  const result = await tx.execute(sql`
    with inserted as (
      insert into interactions (event_id, user_id, item_id, type, value, ts, session_id)
      select e, u, i, t, v, to_timestamp(ms / 1000.0), s
      from unnest(${column((e) => e.event_id)}::text[], ${column((e) => e.user_id)}::text[], ${column((e) => e.item_id)}::text[],
                  ${column((e) => e.type)}::text[], ${column((e) => e.value)}::float8[], ${column((e) => e.ts)}::float8[],
                  ${column((e) => e.session_id)}::text[]) as r(e, u, i, t, v, ms, s)
      on conflict (event_id) do nothing
      returning user_id, ts
    ), counted as (
      insert into users (user_id, first_seen_at, last_seen_at, event_count)
      select user_id, min(ts), max(ts), count(*) from inserted group by user_id order by user_id
      on conflict (user_id) do update set
        first_seen_at = least(users.first_seen_at, excluded.first_seen_at),
        last_seen_at = greatest(users.last_seen_at, excluded.last_seen_at),
        event_count = users.event_count + excluded.event_count
      returning 1
    )
    select (select count(*) from inserted)::int as stored`);
  return resultRows<{ stored: number }>(result)[0]!.stored;
}
