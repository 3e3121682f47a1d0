import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, KEYS, seedKeys, uniq } from "../test-support/fixtures.js";

beforeAll(seedKeys);

const session = (userId: string) => env.USER_SESSION.get(env.USER_SESSION.idFromName(userId));

describe("POST /v1/events", () => {
  it("accepts valid events, rejects bad ones by index, and updates the session at once", async () => {
    const user = uniq("u");
    const res = await api("/v1/events", {
      method: "POST",
      json: {
        events: [
          { user_id: user, item_id: "i1", type: "view", ts: Date.now() - 1000 },
          { user_id: user, item_id: "i2", type: "teleport" },
          { user_id: user, item_id: "i3", type: "purchase" },
          { user_id: "", item_id: "i4", type: "view" },
          { user_id: user, item_id: "i5", type: "view", ts: Date.now() + 3600_000 },
        ],
      },
    });
    expect(res.status).toBe(202);
    const body = await res.json<{ accepted: number; duplicates: number; rejected: Array<{ index: number; error: string }> }>();
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 3, 4]);
    expect(body.rejected[0]!.error).toMatch(/^type: must be one of view/);
    expect(body.rejected[1]!.error).toMatch(/^user_id:/);
    expect(body.rejected[2]!.error).toMatch(/^ts:/);
    const ctx = await session(user).context();
    expect(ctx.recent.map((r) => r.item_id).sort()).toEqual(["i1", "i3"]);
    expect(ctx.consumed).toEqual(["i3"]);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(res.headers.get("server-timing")).toMatch(/intake;dur=/);
  });

  it("counts a re-posted batch as duplicates", async () => {
    const user = uniq("u");
    const events = [
      { event_id: `${user}-1`, user_id: user, item_id: "a", type: "view" },
      { event_id: `${user}-2`, user_id: user, item_id: "b", type: "click" },
    ];
    const first = await (await api("/v1/events", { method: "POST", json: { events } })).json();
    const again = await (await api("/v1/events", { method: "POST", json: { events: [...events, events[0]] } })).json();
    expect(first).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(again).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
  });

  it.each([
    ["no key", null, 401],
    ["an unknown key", "rk_test_nope", 401],
    ["an expired key", KEYS.expired, 401],
    ["a key without events:write", KEYS.readOnly, 403],
  ])("refuses %s", async (_label, key, status) => {
    const res = await api("/v1/events", { method: "POST", key, json: { events: [{ user_id: "u", item_id: "i", type: "view" }] } });
    expect(res.status).toBe(status);
    const body = await res.json<{ error: { field: string } }>();
    expect(body.error.field).toBe("authorization");
  });

  it.each([
    ["malformed JSON", { body: "{", headers: { "content-type": "application/json" } }, 400, "body"],
    ["a non-JSON content type", { body: "x", headers: { "content-type": "text/plain" } }, 415, "content-type"],
    ["no events field", { json: { items: [] } }, 400, "events"],
    ["events not an array", { json: { events: "view" } }, 400, "events"],
    ["an empty batch", { json: { events: [] } }, 400, "events"],
    ["an oversize batch", { json: { events: Array.from({ length: 501 }, () => ({ user_id: "u", item_id: "i", type: "view" })) } }, 413, "events"],
    ["an unknown top-level field", { json: { events: [{ user_id: "u", item_id: "i", type: "view" }], extra: 1 } }, 400, "extra"],
  ])("answers %s with a 4xx naming the problem", async (_label, init, status, field) => {
    const res = await api("/v1/events", { method: "POST", ...init } as RequestInit & { json?: unknown });
    expect(res.status).toBe(status);
    const body = await res.json<{ error: { field?: string; message: string } }>();
    expect(body.error.field).toBe(field);
    expect(body.error.message.length).toBeGreaterThan(5);
  });
});
