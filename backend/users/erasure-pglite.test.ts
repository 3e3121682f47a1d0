/**
 * The erasure lock and tombstone SQL on the embedded PGlite driver (`npm start`'s
 * default), not only on the PostgreSQL server the other tests use.
 */
import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../../models/events.js";
import { DEV_USER_ID_HASH_KEY, hashUserId } from "../../models/user-hash.js";
import { createDatabase } from "../db/client.js";
import { migrateDatabase } from "../db/migrate.js";
import { ingestBatch } from "../ingest/ingest-batch.js";
import { eraseUser } from "./erase-user.js";

const event = (n: number, receivedAt: number): StoredEvent => ({
  event_id: `e${n}`,
  user_id: "pg-lite-user",
  session_id: null,
  item_id: "i",
  type: "view",
  value: null,
  ts: receivedAt,
  context: null,
  received_at: receivedAt,
});

describe("erasure on PGlite", () => {
  it("erases, tombstones and drops a replay accepted before the erasure", async () => {
    const database = await createDatabase({ url: "memory://" });
    try {
      await migrateDatabase(database);
      const t = Date.now();
      expect(
        (await ingestBatch(database.db, { events: [event(1, t)], feedback: [], served: [], shadow: [], rejected: [] }, DEV_USER_ID_HASH_KEY)).events.inserted,
      ).toBe(1);
      const erasure = await eraseUser(database.db, "pg-lite-user", await hashUserId("pg-lite-user", DEV_USER_ID_HASH_KEY), new Date(t + 1));
      expect(erasure.deleted.interactions).toBe(1);
      const replay = await ingestBatch(
        database.db,
        { events: [event(1, t), event(2, t + 2)], feedback: [], served: [], shadow: [], rejected: [] },
        DEV_USER_ID_HASH_KEY,
      );
      expect(replay.dropped.events).toBe(1);
      expect(replay.events.inserted).toBe(1);
    } finally {
      await database.close();
    }
  });
});
