/**
 * The events insert on both engines the backend runs on: embedded PGlite (`npm start`'s
 * default) and the PostgreSQL server. The rows travel as one JSON parameter
 * (jsonb_to_recordset), so every column's value and its nulls must come back as sent.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { StoredEvent } from "../../models/events.js";
import { createDatabase } from "../db/client.js";
import { migrateDatabase } from "../db/migrate.js";
import { interactions } from "../db/schema.js";
import { createTestDatabase } from "../test-support/postgres.js";
import { ingestBatch } from "./ingest-batch.js";

const events: StoredEvent[] = [
  { event_id: "e-b", user_id: "u1", item_id: "i1", type: "view", value: null, ts: 1_700_000_000_123, session_id: null, context: null },
  {
    event_id: "e-a",
    user_id: "u1",
    item_id: "i2",
    type: "purchase",
    value: 2.5,
    ts: 1_700_000_000_999,
    session_id: "s1",
    context: { page: "home", n: 3, ok: true },
  },
  { event_id: "e-c", user_id: "u2", item_id: 'i\'3 "quoted" ✓', type: "view", value: 0, ts: 1_700_000_001_000, session_id: null, context: { nothing: null } },
];

const drops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

describe.each([
  ["PGlite", async () => "memory://"],
  [
    "the PostgreSQL server",
    async () => {
      const db = await createTestDatabase();
      drops.push(db.drop);
      return db.url;
    },
  ],
])("ingestBatch on %s", (_name, urlOf) => {
  it("stores every field as sent, skips the ones already stored, and reports the new ones", async () => {
    const database = await createDatabase({ url: await urlOf() });
    try {
      await migrateDatabase(database);
      const first = await ingestBatch(database.db, { events, feedback: [], served: [], shadow: [], rejected: [] }, "k");
      expect(first.events).toEqual({ inserted: 3, duplicates: 0 });
      expect(first.insertedEvents.map((e) => e.ts).sort()).toEqual(events.map((e) => e.ts).sort());
      const again = await ingestBatch(
        database.db,
        { events: [...events, { ...events[0]!, event_id: "e-d" }], feedback: [], served: [], shadow: [], rejected: [] },
        "k",
      );
      expect(again.events).toEqual({ inserted: 1, duplicates: 3 });
      const rows = await database.db.select().from(interactions).orderBy(interactions.eventId);
      expect(
        rows.map((r) => ({
          event_id: r.eventId,
          user_id: r.userId,
          item_id: r.itemId,
          type: r.type,
          value: r.value,
          ts: r.ts.getTime(),
          session_id: r.sessionId,
          context: r.context,
        })),
      ).toEqual([...events, { ...events[0]!, event_id: "e-d" }].sort((a, b) => (a.event_id < b.event_id ? -1 : 1)));
    } finally {
      await database.close();
    }
  });
});
