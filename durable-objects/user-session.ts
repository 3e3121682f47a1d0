/**
 * UserSession: one Durable Object per user id, holding what the very next request
 * needs to be personal — the recent interactions and the items the user has already
 * consumed — so personalisation does not wait for the queue, Redis or the backend.
 *
 * It also holds the unit's sticky experiment assignments: the variant chosen at first
 * exposure is stored here and wins over later bucketing, so a weight change (or a login,
 * see `linkAnonymous`) does not reshuffle users already in an experiment.
 *
 * And the user's consent to personalisation (default on). While it is off the object
 * stores nothing new and hands out no history, and erasure leaves only a tombstone
 * (erased_at) behind; see README.md, "Privacy".
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
  /** False when the user turned personalisation off: the lists above are then empty. */
  personalisation: boolean;
}

export interface Consent {
  personalisation: boolean;
  /** Epoch milliseconds of the last change; null while the default (on) was never changed. */
  updated_at: number | null;
}

/** What erasure removed from the object, for the DELETE answer. */
export interface SessionErasure {
  events: number;
  consumed: number;
  assignments: number;
  /** Event ids held, so the caller can remove their idempotency marks elsewhere. */
  event_ids: string[];
  erased_at: number;
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
  /** False when personalisation is off: nothing was stored and the caller must not pass the events on. */
  consent: boolean;
}

export class UserSession extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /**
   * The last context() answer, until anything it reads changes: every recommendation
   * reads the context and most never write, and its four queries were 8 % of the edge's
   * CPU in a profile. Each method that writes calls forget().
   */
  private memo: { limit: number; context: SessionContext } | null = null;
  /**
   * Whether the tables exist. They are made by the first write, not at start: most
   * objects are read before anything is written to them (every new visitor's first
   * list), and a read-only object then stores nothing. Creating them on each start cost
   * 0.5 ms of CPU per new object in the local simulator.
   */
  private hasTables: boolean;
  /**
   * Settings as stored; only this object writes them. Every append read two of them,
   * and trimmed both of its tables, whose row counts are kept below as upper bounds so a
   * table is trimmed only when it may be over its limit: those were four of the five
   * statements of a one-event append.
   */
  private readonly settings = new Map<string, Setting | null>();
  private readonly rowBounds = new Map<BoundedTable, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    const held = this.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('events', 'consumed', 'assignments', 'linked_units', 'settings')",
      )
      .one().n;
    this.hasTables = held > 0;
    // An object stored by an older version may lack a table added since.
    if (held > 0 && held < 5) this.createTables();
  }

  private ensureTables(): void {
    if (this.hasTables) return;
    this.createTables();
  }

  private createTables(): void {
    this.hasTables = true;
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
      CREATE TABLE IF NOT EXISTS settings (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `);
  }

  /**
   * Adds events; ones whose event_id is already held are reported, not re-applied.
   * With personalisation off nothing is stored (consent: false). `receivedAt` is the
   * edge's acceptance time: events accepted before an erasure that overtook them on
   * the way here are not stored either (the queue consumer drops them as well).
   */
  append(events: SessionEvent[], consumedTypes: string[], receivedAt?: number): AppendResult {
    if (!this.personalisationOn()) return { inserted: 0, duplicates: [], consent: false };
    const erasedAt = this.setting("erased_at");
    if (receivedAt !== undefined && erasedAt !== null && receivedAt <= erasedAt.value) {
      return { inserted: 0, duplicates: [], consent: true };
    }
    const consumed = new Set(consumedTypes);
    const duplicates: string[] = [];
    let inserted = 0;
    this.forget();
    this.ensureTables();
    this.transaction(() => {
      for (const e of events) {
        const cursor = this.sql.exec(
          "INSERT INTO events (event_id, item_id, type, ts, session_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING",
          e.event_id,
          e.item_id,
          e.type,
          e.ts,
          e.session_id,
        );
        if (cursor.rowsWritten === 0) {
          duplicates.push(e.event_id);
          continue;
        }
        inserted++;
        if (consumed.has(e.type)) {
          this.wrote("consumed", 1);
          this.sql.exec(
            "INSERT INTO consumed (item_id, type, ts) VALUES (?, ?, ?) ON CONFLICT(item_id) DO UPDATE SET ts = max(ts, excluded.ts), type = excluded.type",
            e.item_id,
            e.type,
            e.ts,
          );
        }
      }
      this.wrote("events", inserted);
      this.trim("events", RECENT_WINDOW);
      this.trim("consumed", CONSUMED_LIMIT);
    });
    return { inserted, duplicates, consent: true };
  }

  /** Recent history and exclusions; none of it (and no assignments) while personalisation is off. */
  context(limit = 50): SessionContext {
    if (this.memo?.limit === limit) return this.memo.context;
    const context = this.readContext(limit);
    this.memo = { limit, context };
    return context;
  }

  private forget(): void {
    this.memo = null;
  }

  private readContext(limit: number): SessionContext {
    if (!this.hasTables) return { recent: [], consumed: [], assignments: [], personalisation: true };
    if (!this.personalisationOn()) return { recent: [], consumed: [], assignments: [], personalisation: false };
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
    return { recent, consumed, assignments: this.assignments(), personalisation: true };
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
    this.forget();
    this.ensureTables();
    return this.transaction(() => {
      const cursor = this.sql.exec(
        "INSERT INTO assignments (experiment_id, variant, assigned_at) VALUES (?, ?, ?) ON CONFLICT(experiment_id) DO NOTHING",
        experimentId,
        proposedVariant,
        Date.now(),
      );
      const { variant } = this.sql.exec<{ variant: string }>("SELECT variant FROM assignments WHERE experiment_id = ?", experimentId).one();
      this.wrote("assignments", cursor.rowsWritten);
      this.trim("assignments", ASSIGNMENTS_LIMIT);
      return variant;
    });
  }

  /** Every sticky assignment of this unit, oldest first. */
  assignments(): StoredAssignment[] {
    if (!this.hasTables) return [];
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
    this.ensureTables();
    if (this.sql.exec("SELECT 1 FROM linked_units WHERE unit_id = ?", anonymousUnitId).toArray().length > 0) return 0;
    const carried = await this.env.USER_SESSION.get(source).assignments();
    // Other calls may have run during the await; ON CONFLICT keeps whatever they stored.
    this.forget();
    return this.transaction(() => {
      let copied = 0;
      for (const a of carried) {
        const cursor = this.sql.exec(
          "INSERT INTO assignments (experiment_id, variant, assigned_at) VALUES (?, ?, ?) ON CONFLICT(experiment_id) DO NOTHING",
          a.experiment_id,
          a.variant,
          a.assigned_at,
        );
        if (cursor.rowsWritten > 0) copied++;
      }
      this.wrote("assignments", copied);
      this.wrote(
        "linked_units",
        this.sql.exec("INSERT INTO linked_units (unit_id, linked_at) VALUES (?, ?) ON CONFLICT(unit_id) DO NOTHING", anonymousUnitId, Date.now()).rowsWritten,
      );
      this.trim("assignments", ASSIGNMENTS_LIMIT);
      this.trim("linked_units", ASSIGNMENTS_LIMIT);
      return copied;
    });
  }

  consent(): Consent {
    const row = this.setting("personalisation");
    return row ? { personalisation: row.value === 1, updated_at: row.updated_at } : { personalisation: true, updated_at: null };
  }

  /**
   * Turning personalisation off stops collection and use from now on; history already
   * held stays untouched (and unread) until it is turned back on or the user is erased.
   */
  setConsent(personalisation: boolean, now: number): Consent {
    this.putSetting("personalisation", personalisation ? 1 : 0, now);
    return { personalisation, updated_at: now };
  }

  /** When the user was last erased (epoch ms), or null. */
  erasedAt(): number | null {
    return this.setting("erased_at")?.value ?? null;
  }

  /**
   * Erasure: nothing of the user stays in this object (events, consumed, assignments,
   * links, consent) except the tombstone `erased_at`, kept so an intake request racing
   * the erasure cannot put events accepted before it back. Idempotent; a later erasure
   * moves the tombstone forward.
   */
  async erase(erasedAt: number = Date.now()): Promise<SessionErasure> {
    this.ensureTables();
    const count = (table: string) => this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
    const held = {
      events: count("events"),
      consumed: count("consumed"),
      assignments: count("assignments"),
      event_ids: this.sql
        .exec<{ event_id: string }>("SELECT event_id FROM events")
        .toArray()
        .map((r) => r.event_id),
    };
    const tombstone = Math.max(erasedAt, this.erasedAt() ?? 0);
    this.forget();
    this.settings.clear();
    this.rowBounds.clear();
    await this.ctx.storage.deleteAll();
    this.createTables();
    this.putSetting("erased_at", tombstone, tombstone);
    return { ...held, erased_at: tombstone };
  }

  private personalisationOn(): boolean {
    return this.setting("personalisation")?.value !== 0;
  }

  private setting(name: string): Setting | null {
    if (!this.hasTables) return null;
    const held = this.settings.get(name);
    if (held !== undefined) return held;
    const row = this.sql.exec<{ value: number; updated_at: number }>("SELECT value, updated_at FROM settings WHERE name = ?", name).toArray()[0];
    const setting = row ? { value: row.value, updated_at: row.updated_at } : null;
    this.settings.set(name, setting);
    return setting;
  }

  private putSetting(name: string, value: number, now: number): void {
    this.forget();
    this.ensureTables();
    this.sql.exec(
      "INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      name,
      value,
      now,
    );
    this.settings.set(name, { value, updated_at: now });
  }

  /** A failed transaction rolled back what the in-memory counts assumed: they are read again. */
  private transaction<T>(fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(fn);
    } catch (err) {
      this.rowBounds.clear();
      throw err;
    }
  }

  private wrote(table: BoundedTable, rows: number): void {
    const bound = this.rowBounds.get(table);
    if (bound !== undefined) this.rowBounds.set(table, bound + rows);
  }

  /** Drops the oldest rows past `keep`, if the table may hold more. */
  private trim(table: BoundedTable, keep: number): void {
    const bound = this.rowBounds.get(table) ?? this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
    if (bound <= keep) {
      this.rowBounds.set(table, bound);
      return;
    }
    const ts = TIME_COLUMN[table];
    const removed = this.sql.exec(
      `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} ORDER BY ${ts} DESC, rowid DESC LIMIT -1 OFFSET ?)`,
      keep,
    ).rowsWritten;
    // Removing rows leaves exactly `keep`; removing none means the bound was high (an
    // upsert that updated), so it is forgotten and counted afresh next time.
    if (removed > 0) this.rowBounds.set(table, keep);
    else this.rowBounds.delete(table);
  }
}

interface Setting {
  value: number;
  updated_at: number;
}

type BoundedTable = keyof typeof TIME_COLUMN;

/** The column each bounded table is trimmed by (oldest rows go first). */
const TIME_COLUMN = { events: "ts", consumed: "ts", assignments: "assigned_at", linked_units: "linked_at" } as const;

function checkKey(name: string, value: string): void {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ASSIGNMENT_KEY) {
    throw new TypeError(`${name} must be a string of 1–${MAX_ASSIGNMENT_KEY} characters`);
  }
}
