import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { uniq } from "../test-support/fixtures.js";
import { scrubDeadLetters } from "./scrub-dead-letters.js";

const row = (user: string, n: number) => ({
  event_id: `e${n}`,
  user_id: user,
  session_id: null,
  item_id: "i",
  type: "view",
  value: null,
  ts: n,
  context: null,
});

describe("scrubDeadLetters", () => {
  it("cuts the user's rows out of dead letters, deletes letters left empty, keeps other users' rows", async () => {
    const [user, other] = [uniq("dl"), uniq("keep")];
    const day = `dead-letters/2026-01-01/${uniq("m")}`;
    const put = (name: string, body: unknown) =>
      env.ARTIFACTS.put(`${day}-${name}.json`, JSON.stringify({ id: name, queue: "recs-events", attempts: 12, body }));
    await put("mixed", { kind: "events", events: [row(user, 1), row(other, 2)] });
    await put("only", { kind: "events", events: [row(user, 3)] });
    await put("feedback", { kind: "feedback", feedback: { feedback_id: "f", request_id: "r", user_id: user, item_id: "i", type: "click", ts: 1 } });
    await put("unrelated", { kind: "events", events: [row(other, 4)] });

    expect(await scrubDeadLetters(env.ARTIFACTS, user)).toEqual({ objects_rewritten: 1, objects_deleted: 2 });
    const left = (await env.ARTIFACTS.list({ prefix: day })).objects.map((o) => o.key.slice(day.length)).sort();
    expect(left).toEqual(["-mixed.json", "-unrelated.json"]);
    const mixed = await (await env.ARTIFACTS.get(`${day}-mixed.json`))!.json<{ attempts: number; body: { events: Array<{ user_id: string }> } }>();
    expect(mixed.attempts).toBe(12);
    expect(mixed.body.events.map((e) => e.user_id)).toEqual([other]);
    // Idempotent.
    expect(await scrubDeadLetters(env.ARTIFACTS, user)).toEqual({ objects_rewritten: 0, objects_deleted: 0 });
  });
});
