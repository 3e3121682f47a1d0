import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { interactions, users } from "../db/schema.js";
import { BACKEND_TOKEN, bearer, json, startHarness, type Harness } from "../test-support/backend-harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const T1997 = Date.UTC(1997, 8, 20, 12, 0, 0);

function send(body: string | ReadableStream<Uint8Array>, type = "application/x-ndjson", query = "", key = h.keys.admin) {
  return h.request(`/api/v1/interactions/import${query}`, {
    method: "POST",
    headers: { ...bearer(key), "content-type": type },
    body,
    duplex: "half",
  } as RequestInit);
}

const ndjson = (rows: unknown[]) => rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n");

async function storedFor(user: string) {
  return h.database.db
    .select({ item: interactions.itemId, type: interactions.type, ts: interactions.ts, eventId: interactions.eventId })
    .from(interactions)
    .where(eq(interactions.userId, user))
    .orderBy(interactions.ts, interactions.itemId);
}

describe("POST /api/v1/interactions/import (NDJSON)", () => {
  it("stores 1997 history, reports each bad row by line, and adds nothing when sent again", async () => {
    const u = `${h.prefix}-nd`;
    const body = ndjson([
      { user_id: u, item_id: "a", type: "purchase", ts: T1997 },
      { user_id: u, item_id: "b", type: "rating", ts: "1997-09-21T08:00:00Z", value: 4 },
      "",
      { user_id: u, item_id: "c", type: "bought", ts: T1997 },
      "{not json",
      { user_id: u, item_id: "d", type: "view", ts: 1.5 },
      { user_id: u, item_id: "e", type: "view", ts: T1997, colour: "red" },
      { user_id: u, item_id: "f", type: "view" },
      { user_id: u, item_id: "g", type: "view", ts: Date.now() + 3_600_000 },
      { event_id: `${u}-own-id`, user_id: u, item_id: "h", type: "click", ts: T1997 + 1000 },
    ]);
    const first = await send(body);
    expect(first.status).toBe(200);
    const result = await json(first);
    expect(result).toMatchObject({ rows: 9, stored: 3, duplicates: 0, erased: 0, bad_rows: 6, users: 1 });
    expect(result.errors).toEqual([
      { line: 4, field: "type", reason: expect.stringMatching(/^must be one of view, click/) },
      { line: 5, field: "row", reason: "is not valid JSON" },
      { line: 6, field: "ts", reason: expect.stringMatching(/^must be epoch milliseconds/) },
      { line: 7, field: "colour", reason: "unknown field" },
      { line: 8, field: "ts", reason: "is required" },
      { line: 9, field: "ts", reason: "is in the future" },
    ]);
    const rows = await storedFor(u);
    expect(rows.map((r) => [r.item, r.type, r.ts.getTime()])).toEqual([
      ["a", "purchase", T1997],
      ["h", "click", T1997 + 1000],
      ["b", "rating", Date.UTC(1997, 8, 21, 8)],
    ]);
    expect(rows.find((r) => r.item === "h")!.eventId).toBe(`${u}-own-id`);
    const [user] = await h.database.db.select().from(users).where(eq(users.userId, u));
    expect(user).toMatchObject({ eventCount: 3, firstSeenAt: new Date(T1997) });

    const again = await json(await send(body));
    expect(again).toMatchObject({ rows: 9, stored: 0, duplicates: 3, bad_rows: 6 });
    expect(await storedFor(u)).toHaveLength(3);
    const [after] = await h.database.db.select().from(users).where(eq(users.userId, u));
    expect(after!.eventCount).toBe(3);
  });

  it("stores the 99% good rows of a file with 1% bad ones, naming every bad line", async () => {
    const u = (i: number) => `${h.prefix}-bulk-${i % 37}`;
    const lines = Array.from({ length: 5000 }, (_, i) =>
      i % 100 === 50
        ? { user_id: u(i), item_id: `x${i}`, type: "purchase", ts: -1 }
        : { user_id: u(i), item_id: `x${i % 300}`, type: "purchase", ts: T1997 + i },
    );
    const result = await json(await send(ndjson(lines)));
    expect(result).toMatchObject({ rows: 5000, stored: 4950, bad_rows: 50, users: 37 });
    expect(result.errors.map((e: { line: number }) => e.line)).toEqual(Array.from({ length: 50 }, (_, k) => 51 + 100 * k));
    const [count] = await h.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(interactions)
      .where(
        inArray(
          interactions.userId,
          Array.from({ length: 37 }, (_, i) => u(i)),
        ),
      );
    expect(count!.n).toBe(4950);
  });

  it("reports an over-long line once, without holding it, and reads on after it", async () => {
    const u = `${h.prefix}-long`;
    const long = JSON.stringify({ user_id: u, item_id: "big", type: "view", ts: T1997, session_id: "x".repeat(100) }).replace("x", "x".repeat(70_000));
    const body = ndjson([{ user_id: u, item_id: "a", type: "view", ts: T1997 }, long, { user_id: u, item_id: "b", type: "view", ts: T1997 + 1 }]);
    const result = await json(await send(body));
    expect(result).toMatchObject({ rows: 3, stored: 2, bad_rows: 1 });
    expect(result.errors).toEqual([{ line: 2, field: "row", reason: "is longer than 65536 bytes" }]);
    expect((await storedFor(u)).map((r) => r.item)).toEqual(["a", "b"]);
  });

  it("stores nothing when there are more bad rows than max_bad_rows", async () => {
    const u = `${h.prefix}-strict`;
    const lines = Array.from({ length: 11_000 }, (_, i) => ({ user_id: u, item_id: `i${i}`, type: "view", ts: T1997 + i }));
    const response = await send(`${ndjson(lines)}\n{"user_id":"${u}"}\n`, "application/x-ndjson", "?max_bad_rows=0");
    expect(response.status).toBe(422);
    expect((await json(response)).error).toMatchObject({
      code: "too_many_bad_rows",
      field: "body",
      message: expect.stringContaining("line 11001: item_id is required"),
    });
    // Two batches of 5,000 were written before the bad row; the transaction took them back.
    expect(await storedFor(u)).toHaveLength(0);
  });

  it("stores nothing from a body that breaks part-way", async () => {
    const u = `${h.prefix}-broken`;
    const chunk = new TextEncoder().encode(
      `${ndjson(Array.from({ length: 12_000 }, (_, i) => ({ user_id: u, item_id: `i${i}`, type: "view", ts: T1997 + i })))}\n`,
    );
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(chunk);
        } else controller.error(new Error("connection reset"));
      },
    });
    const response = await send(body);
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({ code: "incomplete_body", field: "body" });
    expect(await storedFor(u)).toHaveLength(0);
  });

  it("keeps an erased user's history out, and takes what they did after the erasure", async () => {
    const u = `${h.prefix}-erased`;
    const erasedAt = Date.UTC(2005, 0, 1);
    const erase = await h.request(`/internal/v1/users/${u}?erased_at=${erasedAt}`, { method: "DELETE", headers: bearer(BACKEND_TOKEN) });
    expect(erase.status).toBe(200);
    const result = await json(
      await send(
        ndjson([
          { user_id: u, item_id: "old", type: "purchase", ts: T1997 },
          { user_id: u, item_id: "new", type: "purchase", ts: erasedAt + 1 },
        ]),
      ),
    );
    expect(result).toMatchObject({ stored: 1, erased: 1 });
    expect((await storedFor(u)).map((r) => r.item)).toEqual(["new"]);
  });
});

describe("POST /api/v1/interactions/import (CSV)", () => {
  it("reads columns by header name, epoch or ISO ts, and reports malformed records by line", async () => {
    const u = `${h.prefix}-csv`;
    const csv = [
      "ts,type,item_id,user_id,value",
      `${T1997},purchase,a,${u},`,
      `1997-09-22T10:00:00+02:00,rating,b,${u},4.5`,
      `${T1997},view,c`,
      `${T1997},view,"d",${u},x`,
      "",
      `${T1997 + 5},click,f,${u},`,
    ].join("\r\n");
    const result = await json(await send(csv, "text/csv; charset=utf-8"));
    expect(result).toMatchObject({ rows: 5, stored: 3, bad_rows: 2 });
    expect(result.errors).toEqual([
      { line: 4, field: "row", reason: expect.stringMatching(/columns/i) },
      { line: 5, field: "value", reason: "must be a number between -1e9 and 1e9" },
    ]);
    expect((await storedFor(u)).map((r) => [r.item, r.ts.getTime()])).toEqual([
      ["a", T1997],
      ["f", T1997 + 5],
      ["b", Date.UTC(1997, 8, 22, 8)],
    ]);
  });

  it("refuses a header with an unknown or a missing column, storing nothing", async () => {
    const unknown = await send("user_id,item_id,type,ts,colour\nu,i,view,1,red\n", "text/csv");
    expect(unknown.status).toBe(400);
    expect((await json(unknown)).error).toMatchObject({
      code: "invalid_header",
      field: "header",
      message: expect.stringContaining("unknown CSV column colour"),
    });
    const missing = await send("user_id,item_id,type\nu,i,view\n", "text/csv");
    expect((await json(missing)).error).toMatchObject({ field: "header", message: "the CSV header lacks ts" });
  });
});

describe("POST /api/v1/interactions/import: access and media types", () => {
  it("needs the admin scope and an NDJSON or CSV body", async () => {
    const row = ndjson([{ user_id: "u", item_id: "i", type: "view", ts: T1997 }]);
    expect((await h.request("/api/v1/interactions/import", { method: "POST", body: row })).status).toBe(401);
    expect((await send(row, "application/x-ndjson", "", h.keys.client)).status).toBe(403);
    const asJson = await send(row, "application/json");
    expect(asJson.status).toBe(415);
    expect((await json(asJson)).error).toMatchObject({ field: "content-type", message: expect.stringContaining("application/x-ndjson or text/csv") });
    const badQuery = await send(row, "application/x-ndjson", "?max_bad_rows=0x10");
    expect(badQuery.status).toBe(400);
    expect((await json(badQuery)).error.field).toBe("max_bad_rows");
    const stored = await h.database.db
      .select()
      .from(interactions)
      .where(and(eq(interactions.userId, "u"), eq(interactions.itemId, "i")));
    expect(stored).toHaveLength(0);
  });
});
