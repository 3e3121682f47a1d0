/**
 * UserSession: one Durable Object per user id, holding what the very next request
 * needs to be personal — the recent interactions and the items the user has already
 * consumed — so personalisation does not wait for the queue, Redis or the backend.
 *
 * SQLite storage; both tables are bounded so a hyperactive user (or a bot) cannot
 * grow an object without limit.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env.js";

export const RECENT_WINDOW = 200;
export const CONSUMED_LIMIT = 1000;

export interface SessionEvent {
  event_id: string;
  item_id: string;
  type: string;
  ts: number;
  session_id: string | null;
}

export interface RecentInteraction {
  item_id: string;
  type: string;
  ts: number;
}

export interface SessionContext {
  recent: RecentInteraction[];
  consumed: string[];
}

export interface AppendResult {
  inserted: number;
  duplicates: string[];
}

export class UserSession extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.createTables();
  }

  private createTables(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS events (
        event_id TEXT PRIMARY KEY,
        item_id TEXT NOT NULL,
        type TEXT NOT NULL,
        ts INTEGER NOT NULL,
        session_id TEXT
      );
      CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
      CREATE TABLE IF NOT EXISTS consumed (
        item_id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        ts INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS consumed_ts ON consumed(ts);
    `);
  }

  /** Adds events; ones whose event_id is already held are reported, not re-applied. */
  append(events: SessionEvent[], consumedTypes: string[]): AppendResult {
    const consumed = new Set(consumedTypes);
    const duplicates: string[] = [];
    let inserted = 0;
    this.ctx.storage.transactionSync(() => {
      for (const e of events) {
        const cursor = this.sql.exec(
          "INSERT INTO events (event_id, item_id, type, ts, session_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING",
          e.event_id, e.item_id, e.type, e.ts, e.session_id,
        );
        if (cursor.rowsWritten === 0) {
          duplicates.push(e.event_id);
          continue;
        }
        inserted++;
        if (consumed.has(e.type)) {
          this.sql.exec(
            "INSERT INTO consumed (item_id, type, ts) VALUES (?, ?, ?) ON CONFLICT(item_id) DO UPDATE SET ts = max(ts, excluded.ts), type = excluded.type",
            e.item_id, e.type, e.ts,
          );
        }
      }
      this.trim("events", RECENT_WINDOW);
      this.trim("consumed", CONSUMED_LIMIT);
    });
    return { inserted, duplicates };
  }

  context(limit = 50): SessionContext {
    const recent = this.sql
      .exec<{ item_id: string; type: string; ts: number }>(
        "SELECT item_id, type, ts FROM events ORDER BY ts DESC, rowid DESC LIMIT ?",
        Math.max(1, Math.min(limit, RECENT_WINDOW)),
      )
      .toArray()
      .map((r) => ({ item_id: r.item_id, type: r.type, ts: r.ts }));
    const consumed = this.sql
      .exec<{ item_id: string }>("SELECT item_id FROM consumed ORDER BY ts DESC")
      .toArray()
      .map((r) => r.item_id);
    return { recent, consumed };
  }

  /** Erasure: nothing of the user stays in this object. */
  async erase(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.createTables();
  }

  private trim(table: "events" | "consumed", keep: number): void {
    this.sql.exec(
      `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} ORDER BY ts DESC, rowid DESC LIMIT -1 OFFSET ?)`,
      keep,
    );
  }
}
