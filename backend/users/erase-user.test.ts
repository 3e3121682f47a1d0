import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredEvent } from "../../models/events.js";
import { DEV_USER_ID_HASH_KEY, hashUserId } from "../../models/user-hash.js";
import { erasedUsers, feedback, interactions, servedLists, shadowLists, users } from "../db/schema.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
});
afterAll(() => h.close());

const auth = bearer(BACKEND_TOKEN);
const ingest = (body: unknown) => h.request("/internal/v1/ingest", jsonRequest("POST", body, auth));
const erase = (userId: string, erasedAt?: number) =>
  h.request(`/internal/v1/users/${userId}${erasedAt === undefined ? "" : `?erased_at=${erasedAt}`}`, { method: "DELETE", headers: auth });

function event(userId: string, n: number, receivedAt?: number): StoredEvent {
  return {
    event_id: `${userId}-e${n}`,
    user_id: userId,
    session_id: null,
    item_id: `item-${n}`,
    type: "view",
    value: null,
    ts: Date.UTC(2026, 0, 1) + n * 1000,
    context: null,
    ...(receivedAt === undefined ? {} : { received_at: receivedAt }),
  };
}

/** Rows naming the user in every table that has a user column (the users row included). */
async function rowsOf(userId: string): Promise<Record<string, number>> {
  const count = async (table: typeof interactions | typeof feedback | typeof servedLists | typeof shadowLists | typeof users) => {
    const [row] = await h.database.db.select({ n: sql<number>`count(*)::int` }).from(table).where(eq(table.userId, userId));
    return row?.n ?? 0;
  };
  return {
    interactions: await count(interactions),
    feedback: await count(feedback),
    served_lists: await count(servedLists),
    shadow_lists: await count(shadowLists),
    users: await count(users),
  };
}

describe("erasure in the backend", () => {
  it("removes the user's rows from every table and writes the tombstone under the keyed hash", async () => {
    const victim = `${h.prefix}-erase`;
    const other = `${h.prefix}-stays`;
    const now = Date.now();
    await ingest({
      events: [event(victim, 1, now), event(victim, 2, now), event(other, 1, now)],
      feedback: [{ feedback_id: `${victim}-f`, request_id: `${victim}-r`, user_id: victim, item_id: "item-1", type: "click", ts: now }],
      served: [{ request_id: `${victim}-r`, user_id: victim, model_version: "v", context: null, items: ["item-1"], degraded: [], ts: now }],
    });
    await h.database.db.insert(shadowLists).values({ requestId: `${victim}-r`, modelVersion: "v2", userId: victim, items: ["item-2"], ts: new Date(now) });
    expect(await rowsOf(victim)).toEqual({ interactions: 2, feedback: 1, served_lists: 1, shadow_lists: 1, users: 1 });

    const erasedAt = now + 1;
    const response = await erase(victim, erasedAt);
    expect(response.status).toBe(200);
    const hash = await hashUserId(victim, DEV_USER_ID_HASH_KEY);
    expect(await json(response)).toEqual({
      user_id: victim,
      user_hash: hash,
      erased_at: new Date(erasedAt).toISOString(),
      deleted: { interactions: 2, feedback: 1, served_lists: 1, shadow_lists: 1, users: 1 },
    });
    expect(await rowsOf(victim)).toEqual({ interactions: 0, feedback: 0, served_lists: 0, shadow_lists: 0, users: 0 });
    expect((await rowsOf(other)).interactions).toBe(1);
    const tomb = await h.database.db.select().from(erasedUsers).where(eq(erasedUsers.userHash, hash));
    expect(tomb.map((t) => t.erasedAt.getTime())).toEqual([erasedAt]);
    // The tombstone holds no raw id.
    expect(JSON.stringify(tomb)).not.toContain(victim);

    // Idempotent; an earlier time never moves the tombstone back.
    const again = await erase(victim, erasedAt - 10_000);
    expect((await json(again)).erased_at).toBe(new Date(erasedAt).toISOString());
  });

  it("drops ingested rows the edge accepted at or before the erasure and stores later ones", async () => {
    const user = `${h.prefix}-replay`;
    const erasedAt = Date.now();
    expect((await erase(user, erasedAt)).status).toBe(200);
    const before = event(user, 1, erasedAt - 5_000);
    const atErasure = event(user, 2, erasedAt);
    const after = event(user, 3, erasedAt + 1);
    const response = await ingest({
      events: [before, atErasure, after],
      feedback: [
        { feedback_id: `${user}-f`, request_id: `${user}-r`, user_id: user, item_id: "item-1", type: "click", ts: erasedAt - 1, received_at: erasedAt - 1 },
      ],
      served: [{ request_id: `${user}-r`, user_id: user, model_version: "v", context: null, items: [], degraded: [], ts: erasedAt - 1 }],
    });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      events: { inserted: 1, duplicates: 0 },
      feedback: { inserted: 0, duplicates: 0 },
      served: { inserted: 0, duplicates: 0 },
      shadow: { inserted: 0, duplicates: 0 },
      erased: { events: 2, feedback: 1, served: 1, shadow: 0 },
    });
    const stored = await h.database.db.select({ id: interactions.eventId }).from(interactions).where(eq(interactions.userId, user));
    expect(stored.map((r) => r.id)).toEqual([after.event_id]);
    expect((await rowsOf(user)).users).toBe(1);
  });

  it("refuses a malformed erased_at with a 400 naming it", async () => {
    const bad = await erase(`${h.prefix}-x`, -1);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe("erased_at");
  });
});
