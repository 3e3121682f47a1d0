/**
 * What a new user of `npm start` sees: demo data loaded through the real intake path,
 * a list for anyone, and a list that turns personal the moment a user views an item.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemoData, type DemoData } from "../../backend/demo/generate-demo-data.js";
import { authed, startIsolatedStack, type IsolatedStack } from "../../scripts/isolated-stack.js";
import { loadDemoAndWait, waitForIngest } from "../../scripts/stack-readiness.js";

interface Recs {
  model_version: string;
  items: Array<{ item_id: string; sources: string[]; reason: string; title?: string }>;
  degraded: string[];
}

let stack: IsolatedStack;
let demo: DemoData;

beforeAll(async () => {
  stack = await startIsolatedStack(29787, 8);
  demo = generateDemoData(42, { users: 300 });
  expect(await loadDemoAndWait(stack, demo, () => {})).toBe(true);
}, 240_000);

afterAll(async () => {
  await stack?.teardown();
}, 60_000);

async function recs(user: string): Promise<Recs> {
  const res = await fetch(`${stack.edgeUrl}/v1/recommendations/${user}?limit=10`, authed(stack.secrets.clientKey));
  expect(res.status).toBe(200);
  return (await res.json()) as Recs;
}

describe("demo data end to end", () => {
  it("serves at least 10 items to anyone", async () => {
    const body = await recs("curl-user");
    expect(body.items.length).toBeGreaterThanOrEqual(10);
    expect(body.degraded).toEqual([]);
  });

  it("a brand-new user's next list after one view holds that item's co-viewed neighbours, named as the reason", async () => {
    const [cluster, ids] = Object.entries(demo.clusters)[0]!;
    const x = ids[0]!;
    const title = demo.items.find((i) => i.item_id === x)!.title;
    const before = await recs("fresh-visitor");
    const post = await fetch(
      `${stack.edgeUrl}/v1/events`,
      authed(stack.secrets.clientKey, { events: [{ user_id: "fresh-visitor", item_id: x, type: "view" }] }),
    );
    expect(post.status).toBe(202);
    const started = Date.now();
    const after = await recs("fresh-visitor");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(after.items.map((i) => i.item_id)).not.toEqual(before.items.map((i) => i.item_id));
    const personal = after.items.filter((i) => i.reason === `Because you viewed ${title}`);
    expect(personal.length).toBeGreaterThanOrEqual(3);
    for (const item of personal) expect(ids, `${item.item_id} should be in cluster ${cluster}`).toContain(item.item_id);
  });

  it("counts a short load in the backend's serving metrics: one list per request, each item by its sources", async () => {
    const metric = async (series: RegExp) => {
      const text = await (await fetch(`${stack.backendUrl}/metrics`)).text();
      return [...text.matchAll(series)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const listsSeries = /^recs_backend_served_lists_total\{[^}]*\} (\S+)$/gm;
    const itemsSeries = /^recs_backend_served_items_total\{[^}]*\} (\S+)$/gm;
    const latencySeries = /^recs_backend_served_latency_seconds_count\{[^}]*\} (\S+)$/gm;
    // The earlier tests' lists are still on their way: wait until the count holds still
    // for longer than the queue's batch timeout (1 s).
    for (let last = -1, now = await metric(listsSeries); now !== last; last = now, now = await metric(listsSeries)) {
      await new Promise((r) => setTimeout(r, 1_500));
    }
    const [lists0, items0, latency0] = [await metric(listsSeries), await metric(itemsSeries), await metric(latencySeries)];
    let sourced = 0;
    const requests = 25;
    for (let i = 0; i < requests; i++) {
      const body = await recs(`demo-user-${1 + i}`);
      sourced += body.items.reduce((n, item) => n + item.sources.length, 0);
    }
    const deadline = Date.now() + 30_000;
    while ((await metric(listsSeries)) < lists0 + requests && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect((await metric(listsSeries)) - lists0).toBe(requests);
    expect((await metric(latencySeries)) - latency0).toBe(requests);
    expect((await metric(itemsSeries)) - items0).toBe(sourced);
  });

  it("counts the events the edge refused in the data-quality report, through the queue", async () => {
    const events = [
      { user_id: "dq-client", item_id: "baking-01", type: "view" },
      { user_id: "dq-client", item_id: "baking-02", type: "teleport" },
      { user_id: "dq-client", item_id: "baking-03", type: "view", ts: Date.now() + 3_600_000 },
      { user_id: "", item_id: "baking-04", type: "view" },
    ];
    const post = await fetch(`${stack.edgeUrl}/v1/events`, authed(stack.secrets.clientKey, { events }));
    expect(post.status).toBe(202);
    expect(((await post.json()) as { rejected: unknown[] }).rejected).toHaveLength(3);
    const report = async () =>
      (await (await fetch(`${stack.backendUrl}/api/v1/data-quality`, { headers: { authorization: `Bearer ${stack.secrets.adminKey}` } })).json()) as {
        invalid_by_field: Record<string, number>;
        invalid_event_share: number;
      };
    const deadline = Date.now() + 30_000;
    while (Object.keys((await report()).invalid_by_field).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const r = await report();
    expect(r.invalid_by_field).toEqual({ type: 1, ts: 1, user_id: 1 });
    expect(r.invalid_event_share).toBeGreaterThan(0);
  });

  it("after the demo, a new database on the same Redis serves none of the demo's items", async () => {
    await stack.teardown();
    // The same Redis database, not emptied: the demo's counts, records and marks are still there.
    stack = await startIsolatedStack(29787, 8, undefined, { flushRedis: false });
    const fresh = Array.from({ length: 12 }, (_, i) => ({ item_id: `fresh-${i}`, title: `Fresh item ${i}` }));
    const upsert = await fetch(`${stack.backendUrl}/api/v1/catalog/items`, authed(stack.secrets.adminKey, { items: fresh }));
    expect(upsert.status).toBe(200);
    const events = Array.from({ length: 40 }, (_, n) => ({ user_id: `shopper-${n % 8}`, item_id: `fresh-${(n * 5) % 12}`, type: "view" }));
    const post = await fetch(`${stack.edgeUrl}/v1/events`, authed(stack.secrets.clientKey, { events }));
    expect(post.status).toBe(202);
    await waitForIngest(stack.backendUrl, events.length, () => {});
    const demoIds = new Set(demo.items.map((i) => i.item_id));
    for (const user of ["shopper-1", "someone-new"]) {
      const body = await recs(user);
      expect(body.items.length).toBeGreaterThan(0);
      expect(body.items.filter((i) => demoIds.has(i.item_id))).toEqual([]);
      expect(body.items.every((i) => i.item_id.startsWith("fresh-"))).toBe(true);
    }
  }, 240_000);
});
