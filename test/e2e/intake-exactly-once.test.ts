/**
 * Events reach Postgres exactly once: 5,000 events in batches of 500, one batch posted
 * twice, and the backend stopped in the middle of intake and started again. The edge
 * keeps accepting while the backend is down; the queue retries until it is back.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authed, startIsolatedStack, until, type IsolatedStack } from "../../scripts/isolated-stack.js";

let stack: IsolatedStack;

beforeAll(async () => {
  stack = await startIsolatedStack(28787, 6);
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
}, 60_000);

async function counts(): Promise<{ rows: number; distinct: number }> {
  const client = new pg.Client({ connectionString: stack.database.url });
  await client.connect();
  try {
    const r = await client.query<{ rows: string; distinct: string }>(
      "SELECT count(*) AS rows, count(DISTINCT event_id) AS distinct FROM interactions WHERE user_id LIKE 'eo-%'",
    );
    return { rows: Number(r.rows[0]!.rows), distinct: Number(r.rows[0]!.distinct) };
  } finally {
    await client.end();
  }
}

function batch(b: number): unknown[] {
  const t0 = Date.now() - 3600_000;
  return Array.from({ length: 500 }, (_, i) => {
    const n = b * 500 + i;
    return { event_id: `eo-${n}`, user_id: `eo-user-${n % 97}`, item_id: `eo-item-${n % 113}`, type: n % 10 === 0 ? "purchase" : "view", ts: t0 + n * 100 };
  });
}

async function post(b: number): Promise<{ accepted: number; duplicates: number; rejected: unknown[] }> {
  const res = await fetch(`${stack.edgeUrl}/v1/events`, authed(stack.secrets.clientKey, { events: batch(b) }));
  expect(res.status).toBe(202);
  return (await res.json()) as { accepted: number; duplicates: number; rejected: unknown[] };
}

describe("intake end to end", () => {
  it("stores 5,000 events exactly once despite a re-posted batch and a backend restart", async () => {
    for (let b = 0; b < 5; b++) expect((await post(b)).accepted).toBe(500);
    const repeat = await post(2);
    expect(repeat).toEqual({ accepted: 0, duplicates: 500, rejected: [] });

    await stack.stopBackend();
    for (let b = 5; b < 10; b++) expect((await post(b)).rejected).toEqual([]);
    await new Promise((r) => setTimeout(r, 3_000));
    await stack.startBackend();

    const final = await until("all 5,000 events in Postgres", 150_000, async () => {
      const c = await counts();
      return c.rows >= 5000 ? c : null;
    });
    expect(final).toEqual({ rows: 5000, distinct: 5000 });
    // Give any straggling redelivery time to arrive, then check nothing was doubled.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await counts()).toEqual({ rows: 5000, distinct: 5000 });
  }, 240_000);
});
