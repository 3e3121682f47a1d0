/**
 * UserSession: one Durable Object per user id, holding what the very next request
 * needs to be personal — the recent interactions and the items the user has already
 * consumed — so personalisation does not wait for the queue, Redis or the backend.
 *
 * It also holds the unit's sticky experiment assignments: the variant chosen at first
 * exposure is stored here and wins over later bucketing, so a weight change (or a login,
 * see `linkAnonymous`) does not reshuffle users already in an experiment.
 *
 * SQLite storage; every table is bounded so a hyperactive user (or a bot) cannot
 * grow an object without limit.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env.js";

export const RECENT_WINDOW = 200;
export const CONSUMED_LIMIT = 1000;
/**
 * Far more experiments than one unit meets in its life; past it the oldest assignments
 * (of experiments long stopped, in practice) make room.
 */
export const ASSIGNMENTS_LIMIT = 500;
/** Longest experiment id or variant key stored (the schema allows 64). */
const MAX_ASSIGNMENT_KEY = 128;

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
  /** Sticky experiment assignments, so serving needs no second round trip to read them. */
  assignments: StoredAssignment[];
}

export interface StoredAssignment {
  experiment_id: string;
  variant: string;
  /** Epoch milliseconds of the first exposure. */
  assigned_at: number;
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
      CREATE TABLE IF NOT EXISTS assignments (
        experiment_id TEXT PRIMARY KEY,
        variant TEXT NOT NULL,
        assigned_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS linked_units (
        unit_id TEXT PRIMARY KEY,
        linked_at INTEGER NOT NULL
      );
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
    return { recent, consumed, assignments: this.assignments() };
  }

  /**
   * The unit's variant in an experiment: the stored one if the unit was assigned before,
   * else `proposedVariant` (what the edge's bucketing says now), stored as the first
   * exposure. Calls are serialised by the object, so two first requests racing each other
   * both get the variant of whichever came first.
   */
  assign(experimentId: string, proposedVariant: string): string {
    checkKey("experimentId", experimentId);
    checkKey("proposedVariant", proposedVariant);
    return this.ctx.storage.transactionSync(() => {
      const cursor = this.sql.exec(
        "INSERT INTO assignments (experiment_id, variant, assigned_at) VALUES (?, ?, ?) ON CONFLICT(experiment_id) DO NOTHING",
        experimentId, proposedVariant, Date.now(),
      );
      const { variant } = this.sql
        .exec<{ variant: string }>("SELECT variant FROM assignments WHERE experiment_id = ?", experimentId)
        .one();
      if (cursor.rowsWritten > 0) this.trim("assignments", ASSIGNMENTS_LIMIT);
      return variant;
    });
  }

  /** Every sticky assignment of this unit, oldest first. */
  assignments(): StoredAssignment[] {
    return this.sql
      .exec<{ experiment_id: string; variant: string; assigned_at: number }>(
        "SELECT experiment_id, variant, assigned_at FROM assignments ORDER BY assigned_at, rowid",
      )
      .toArray()
      .map((r) => ({ experiment_id: r.experiment_id, variant: r.variant, assigned_at: r.assigned_at }));
  }

  /**
   * Carries an anonymous session's assignments to this (logged-in) user, so a visitor who
   * logs in stays in the variants they saw. While anonymous the edge uses the session id
   * as the unit id and as this namespace's object name; on the first request that has
   * both a user id and a session id it calls this on the user's object (before `assign`,
   * and only if carrying over is enabled). Assignments the user already holds win over the
   * session's; each session is copied once, later calls are a local no-op. Returns the
   * number of assignments copied.
   */
  async linkAnonymous(anonymousUnitId: string): Promise<number> {
    checkKey("anonymousUnitId", anonymousUnitId);
    const source = this.env.USER_SESSION.idFromName(anonymousUnitId);
    if (source.equals(this.ctx.id)) return 0;
    if (this.sql.exec("SELECT 1 FROM linked_units WHERE unit_id = ?", anonymousUnitId).toArray().length > 0) return 0;
    const carried = await this.env.USER_SESSION.get(source).assignments();
    // Other calls may have run during the await; ON CONFLICT keeps whatever they stored.
    return this.ctx.storage.transactionSync(() => {
      let copied = 0;
      for (const a of carried) {
        const cursor = this.sql.exec(
          "INSERT INTO assignments (experiment_id, variant, assigned_at) VALUES (?, ?, ?) ON CONFLICT(experiment_id) DO NOTHING",
          a.experiment_id, a.variant, a.assigned_at,
        );
        if (cursor.rowsWritten > 0) copied++;
      }
      this.sql.exec("INSERT INTO linked_units (unit_id, linked_at) VALUES (?, ?) ON CONFLICT(unit_id) DO NOTHING", anonymousUnitId, Date.now());
      this.trim("assignments", ASSIGNMENTS_LIMIT);
      this.trim("linked_units", ASSIGNMENTS_LIMIT);
      return copied;
    });
  }

  /** Erasure: nothing of the user stays in this object (events, consumed, assignments, links). */
  async erase(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.createTables();
  }

  private trim(table: keyof typeof TIME_COLUMN, keep: number): void {
    const ts = TIME_COLUMN[table];
    this.sql.exec(
      `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} ORDER BY ${ts} DESC, rowid DESC LIMIT -1 OFFSET ?)`,
      keep,
    );
  }
}

/** The column each bounded table is trimmed by (oldest rows go first). */
const TIME_COLUMN = { events: "ts", consumed: "ts", assignments: "assigned_at", linked_units: "linked_at" } as const;

function checkKey(name: string, value: string): void {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ASSIGNMENT_KEY) {
    throw new TypeError(`${name} must be a string of 1–${MAX_ASSIGNMENT_KEY} characters`);
  }
}
