import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, json, startHarness, type Harness } from "../test-support/backend-harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const stats = (key = h.keys.admin) => h.request("/api/v1/interactions/stats", { headers: bearer(key) });

describe("GET /api/v1/interactions/stats", () => {
  it("counts what is stored and says when the newest event happened", async () => {
    expect(await json(await stats())).toEqual({ stored: 0, newest_event_at: null, last_stored_at: null });
    const rows = [Date.UTC(2011, 0, 3), Date.UTC(2011, 5, 1), Date.UTC(2010, 11, 1)].map((ts, i) =>
      JSON.stringify({ user_id: `${h.prefix}-u`, item_id: `i${i}`, type: "purchase", ts }),
    );
    const before = Date.now();
    const imported = await h.request("/api/v1/interactions/import", {
      method: "POST",
      headers: { ...bearer(h.keys.admin), "content-type": "application/x-ndjson" },
      body: rows.join("\n"),
    });
    expect(imported.status).toBe(200);
    const body = await json(await stats());
    expect(body.stored).toBe(3);
    expect(body.newest_event_at).toBe("2011-06-01T00:00:00.000Z");
    expect(Date.parse(body.last_stored_at)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("is for admin keys only", async () => {
    expect((await stats(h.keys.reader)).status).toBe(403);
    expect((await h.request("/api/v1/interactions/stats")).status).toBe(401);
  });
});
