import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Logger } from "../logger.js";
import { bearer, json, startHarness, type Harness } from "../test-support/backend-harness.js";
import { createMigratedTestDatabase } from "../test-support/postgres.js";
import { listAudit, recordAudit } from "./audit-log.js";
import { createAuditRecorder } from "./audit-trail.js";
import { hashUserId } from "../../models/user-hash.js";

let h: Harness;
const ids: number[] = [];

beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
  for (let i = 0; i < 5; i++) {
    const row = await recordAudit(h.database.db, { actor: "system", action: i % 2 === 0 ? "test.even" : "test.odd", target: `t${i}`, detail: { i } });
    ids.push(row.id);
  }
});

afterAll(() => h?.close());

const get = (query: string, headers = bearer(h.keys.admin)) => h.request(`/api/v1/audit${query}`, { headers });

describe("recordAudit / listAudit", () => {
  it("lists newest first, filtered by action, paged by id", async () => {
    expect((await listAudit(h.database.db, { limit: 10 })).map((r) => r.id)).toEqual([...ids].reverse());
    expect((await listAudit(h.database.db, { action: "test.odd", limit: 10 })).map((r) => r.target)).toEqual(["t3", "t1"]);
    expect((await listAudit(h.database.db, { limit: 2, before: ids[3]! })).map((r) => r.target)).toEqual(["t2", "t1"]);
  });
});

describe("GET /api/v1/audit", () => {
  it("pages through the log with next_before until the last page", async () => {
    const first = await json(await get("?limit=2"));
    expect(first.entries.map((e: { target: string }) => e.target)).toEqual(["t4", "t3"]);
    expect(first.next_before).toBe(ids[3]);
    const second = await json(await get(`?limit=2&before=${first.next_before}`));
    expect(second.entries.map((e: { target: string }) => e.target)).toEqual(["t2", "t1"]);
    const last = await json(await get(`?limit=2&before=${second.next_before}`));
    expect(last.entries.map((e: { target: string }) => e.target)).toEqual(["t0"]);
    expect(last.next_before).toBeNull();
    expect(last.entries[0]).toEqual({
      id: ids[0],
      at: expect.any(String),
      actor: "system",
      action: "test.even",
      target: "t0",
      detail: { i: 0 },
      request_id: null,
    });
    const evens = await json(await get("?action=test.even"));
    expect(evens.entries.map((e: { target: string }) => e.target)).toEqual(["t4", "t2", "t0"]);
  });

  it.each([
    ["?limit=0", "limit"],
    ["?limit=501", "limit"],
    ["?before=0", "before"],
    ["?before=abc", "before"],
    ["?action=DROP%20TABLE", "action"],
  ])("answers 400 naming the field for %s", async (query, field) => {
    const response = await get(query);
    expect(response.status).toBe(400);
    expect((await json(response)).error.field).toBe(field);
  });

  it("needs the admin scope", async () => {
    expect((await get("", bearer(h.keys.client))).status).toBe(403);
    expect((await get("", {})).status).toBe(401);
  });
});

describe("createAuditRecorder", () => {
  it("logs the entry as an error, instead of throwing, when the row cannot be written", async () => {
    const { testDb, database } = await createMigratedTestDatabase();
    await database.close();
    await testDb.drop();
    const errors: Array<{ message: string; fields: Record<string, unknown> | undefined }> = [];
    const logger: Logger = { info() {}, warn() {}, error: (message, fields) => errors.push({ message, fields }) };
    const recorder = createAuditRecorder({ db: database.db, logger, userIdHashKey: "k" });
    const entry = { actor: "key_1", action: "key.revoke", target: "key_2", requestId: "r1" };
    expect(await recorder.record(entry)).toBe(false);
    expect(errors).toEqual([{ message: "audit write failed", fields: { audit: entry, error: expect.any(String) } }]);
  });

  it("names users by a keyed hash that does not contain the id", async () => {
    const recorder = createAuditRecorder({ db: h.database.db, logger: { info() {}, warn() {}, error() {} }, userIdHashKey: "key-a" });
    const target = await recorder.userTarget("alice@example.com");
    expect(target).toMatch(/^user:[0-9a-f]{64}$/);
    expect(target).not.toContain("alice");
    expect(target).toBe(`user:${await hashUserId("alice@example.com", "key-a")}`);
    expect(await hashUserId("alice@example.com", "key-b")).not.toBe(await hashUserId("alice@example.com", "key-a"));
  });
});
