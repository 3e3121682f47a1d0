import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CONSUMED_LIMIT, RECENT_WINDOW, type UserSession } from "./user-session.js";

describe("UserSession", () => {
  it("keeps recent events newest first and reports duplicates", async () => {
    const stub = env.USER_SESSION.get(env.USER_SESSION.idFromName("u1"));
    const r1 = await stub.append(
      [
        { event_id: "e1", item_id: "a", type: "view", ts: 1000, session_id: null },
        { event_id: "e2", item_id: "b", type: "purchase", ts: 2000, session_id: null },
      ],
      ["purchase"],
    );
    expect(r1).toEqual({ inserted: 2, duplicates: [], consent: true });
    const r2 = await stub.append([{ event_id: "e1", item_id: "a", type: "view", ts: 1000, session_id: null }], ["purchase"]);
    expect(r2).toEqual({ inserted: 0, duplicates: ["e1"], consent: true });
    const ctx = await stub.context();
    expect(ctx.recent.map((r) => r.item_id)).toEqual(["b", "a"]);
    expect(ctx.consumed).toEqual(["b"]);
    await runInDurableObject(stub, async (instance) => {
      const session = instance as UserSession;
      await session.erase();
      expect(session.context().recent).toEqual([]);
    });
  });

  it("stores nothing for an object that is only read, and makes its tables on the first write of each kind", async () => {
    const tables = (session: UserSession) =>
      (session as unknown as { ctx: DurableObjectState }).ctx.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
        .toArray()
        .map((r) => r.name)
        .sort();
    const writes: Array<(s: UserSession) => unknown> = [
      (s) => s.append([{ event_id: "w1", item_id: "a", type: "view", ts: 1000, session_id: null }], []),
      (s) => s.assign("exp-1", "control"),
      (s) => s.setConsent(false, 1000),
      (s) => s.erase(1000),
    ];
    for (const [i, write] of writes.entries()) {
      const stub = env.USER_SESSION.get(env.USER_SESSION.idFromName(`lazy-${i}-${crypto.randomUUID()}`));
      expect(await stub.context()).toEqual({ recent: [], consumed: [], assignments: [], personalisation: true });
      expect(await stub.consent()).toEqual({ personalisation: true, updated_at: null });
      expect(await stub.assignments()).toEqual([]);
      expect(await stub.erasedAt()).toBeNull();
      await runInDurableObject(stub, async (instance) => {
        const session = instance as UserSession;
        expect(tables(session)).toEqual([]);
        await write(session);
        expect(tables(session)).toEqual(["assignments", "consumed", "events", "linked_units", "settings"]);
      });
    }
  });

  it("answers a repeated context read from memory, and re-reads it after every kind of write", async () => {
    const stub = env.USER_SESSION.get(env.USER_SESSION.idFromName(`memo-${crypto.randomUUID()}`));
    await stub.append([{ event_id: "m1", item_id: "a", type: "view", ts: 1000, session_id: null }], []);
    expect((await stub.context()).recent.map((r) => r.item_id)).toEqual(["a"]);
    await runInDurableObject(stub, async (instance) => {
      const session = instance as UserSession;
      // The same object twice: no re-read while nothing changed.
      expect(session.context()).toBe(session.context());
      session.append([{ event_id: "m2", item_id: "b", type: "view", ts: 2000, session_id: null }], []);
      expect(session.context().recent.map((r) => r.item_id)).toEqual(["b", "a"]);
      session.assign("exp-1", "treatment");
      expect(session.context().assignments.map((x) => x.variant)).toEqual(["treatment"]);
      session.setConsent(false, 3000);
      expect(session.context()).toMatchObject({ personalisation: false, recent: [] });
      session.setConsent(true, 4000);
      expect(session.context().recent).toHaveLength(2);
      await session.erase(5000);
      expect(session.context()).toMatchObject({ recent: [], assignments: [] });
    });
  });

  it("keeps each table at its limit, dropping the oldest, however the writes arrive", async () => {
    const stub = env.USER_SESSION.get(env.USER_SESSION.idFromName(`bounds-${crypto.randomUUID()}`));
    const count = (session: UserSession, table: string) =>
      (session as unknown as { ctx: DurableObjectState }).ctx.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
    await runInDurableObject(stub, async (instance) => {
      const session = instance as UserSession;
      // One event per call, past both limits, every purchase consumed; then re-purchases of
      // held items (upserts, which do not add rows) and more new ones.
      const n = CONSUMED_LIMIT + 50;
      for (let i = 0; i < n; i++) session.append([{ event_id: `b${i}`, item_id: `i${i}`, type: "purchase", ts: 1000 + i, session_id: null }], ["purchase"]);
      expect(count(session, "events")).toBe(RECENT_WINDOW);
      expect(count(session, "consumed")).toBe(CONSUMED_LIMIT);
      for (let i = 0; i < 20; i++)
        session.append([{ event_id: `r${i}`, item_id: `i${n - 1 - i}`, type: "purchase", ts: 5000 + i, session_id: null }], ["purchase"]);
      session.append(
        Array.from({ length: 30 }, (_, i) => ({ event_id: `c${i}`, item_id: `new${i}`, type: "purchase", ts: 6000 + i, session_id: null })),
        ["purchase"],
      );
      expect(count(session, "events")).toBe(RECENT_WINDOW);
      expect(count(session, "consumed")).toBe(CONSUMED_LIMIT);
      const ctx = session.context();
      expect(ctx.recent[0]).toMatchObject({ item_id: "new29", ts: 6029 });
      expect(ctx.consumed).toHaveLength(CONSUMED_LIMIT);
      expect(ctx.consumed).not.toContain("i0");
      expect(ctx.consumed).toContain(`i${n - 1}`);
    });
  });
});
