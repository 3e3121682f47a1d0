/**
 * `npm start` on a machine without Redis: the gateway runs on its embedded in-memory
 * engine, and the product works through it as it does on Redis — demo data through the
 * real intake path, lists for anyone, and a list that turns personal after one view
 * (live co-view counts the queue consumer wrote to the embedded engine).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemoData, type DemoData } from "../../backend/demo/generate-demo-data.js";
import { authed, startIsolatedStack, type IsolatedStack } from "../../scripts/isolated-stack.js";
import { loadDemoAndWait } from "../../scripts/stack-readiness.js";

interface Recs {
  items: Array<{ item_id: string; sources: string[]; reason: string }>;
  degraded: string[];
}

let stack: IsolatedStack;
let demo: DemoData;

beforeAll(async () => {
  stack = await startIsolatedStack(32787, 0, undefined, { redisEngine: "memory", edgeRunner: "direct" });
  demo = generateDemoData(7, { users: 150 });
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

describe("the local stack on the embedded Redis engine", () => {
  it("says which engine it runs on, and the backend finds its feature store healthy", async () => {
    expect(stack.redis).toEqual({ engine: "memory", description: "embedded in-memory engine (REDIS_ENGINE=memory)" });
    expect(stack.logs.some((l) => l.includes("Upstash REST gateway") && l.includes("embedded in-memory engine"))).toBe(true);
    const ready = await fetch(`${stack.backendUrl}/health/ready`);
    expect(ready.status).toBe(200);
  });

  it("serves trending lists from live counts, and a personal list after one view", async () => {
    const anyone = await recs("zero-install-anyone");
    expect(anyone.items.length).toBeGreaterThanOrEqual(10);
    expect(anyone.degraded).toEqual([]);
    expect(anyone.items.some((i) => i.sources.includes("trending"))).toBe(true);

    const [, ids] = Object.entries(demo.clusters)[0]!;
    const x = ids[0]!;
    const title = demo.items.find((i) => i.item_id === x)!.title;
    const post = await fetch(
      `${stack.edgeUrl}/v1/events`,
      authed(stack.secrets.clientKey, { events: [{ user_id: "zero-install-visitor", item_id: x, type: "view" }] }),
    );
    expect(post.status).toBe(202);
    const after = await recs("zero-install-visitor");
    expect(after.degraded).toEqual([]);
    const personal = after.items.filter((i) => i.reason === `Because you viewed ${title}`);
    expect(personal.length).toBeGreaterThanOrEqual(3);
    for (const item of personal) expect(ids).toContain(item.item_id);
  });
});
