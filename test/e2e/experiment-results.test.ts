/**
 * An A/B experiment through the public APIs of the whole local stack: created and
 * started in the backend, published to the edge, simulated users served by the edge and
 * clicking through `/v1/feedback`, served lists and clicks attributed by the backend, and
 * the results endpoint's verdict. Click probability is planted 20% higher in B in one
 * run and equal in the other.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemoData } from "../../backend/demo/generate-demo-data.js";
import { mulberry32 } from "../../models/prng.js";
import { authed, startIsolatedStack, until, type IsolatedStack } from "../../scripts/isolated-stack.js";
import { loadDemoAndWait } from "../../scripts/stack-readiness.js";

const USERS = 400;
const LIMIT = 10;
const CONCURRENCY = 8;

interface Results {
  variants: Array<{ variant: string; lists: number; impressions: number; clicks: number; users: number }>;
  comparisons: Array<{ status: string; winner: string | null; metrics: { ctr: { lift: { lift: number } | null } } }>;
  verdict: string;
}

let stack: IsolatedStack;

beforeAll(async () => {
  stack = await startIsolatedStack(31787, 11);
  expect(await loadDemoAndWait(stack, generateDemoData(42, { users: 200 }), () => {})).toBe(true);
}, 240_000);

afterAll(async () => {
  await stack?.teardown();
}, 60_000);

async function admin<T>(path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${stack.backendUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${stack.secrets.adminKey}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

async function startExperiment(name: string): Promise<string> {
  const created = await admin<{ id: string }>("/api/v1/recs/experiments", {
    name,
    hypothesis: "the planted variant gets more clicks",
    traffic_share: 1,
    targeting: {},
    variants: [
      { key: "a", weight: 50, changes: {} },
      { key: "b", weight: 50, changes: {} },
    ],
    primary_metric: "ctr",
    guardrails: [],
    control: "a",
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const started = await admin(`/api/v1/recs/experiments/${created.json.id}/start`, {});
  expect(started.status, JSON.stringify(started.json)).toBe(200);
  return created.json.id;
}

async function stopExperiment(id: string): Promise<void> {
  expect((await admin(`/api/v1/recs/experiments/${id}/stop`, {})).status).toBe(200);
}

/** As a client should: a 503 (queue briefly unavailable) is retried after Retry-After. */
async function postFeedback(feedback: Record<string, string>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${stack.edgeUrl}/v1/feedback`, authed(stack.secrets.clientKey, feedback));
    await res.body?.cancel();
    if (res.status === 202) return;
    expect(res.status === 503 && attempt < 5, `feedback answered ${res.status}`).toBe(true);
    await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get("retry-after") ?? 1)));
  }
}

/** Each user gets one list; each item is clicked with the variant's probability. Returns clicks posted. */
async function simulate(id: string, run: string, ctr: { a: number; b: number }, seed: number): Promise<number> {
  const rand = mulberry32(seed);
  let next = 0;
  let clicks = 0;
  const worker = async () => {
    while (next < USERS) {
      const user = `${run}-user-${next++}`;
      const res = await fetch(`${stack.edgeUrl}/v1/recommendations/${user}?limit=${LIMIT}&experiment_id=${id}`, authed(stack.secrets.clientKey));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { request_id: string; experiment: { variant: "a" | "b" } | null; items: Array<{ item_id: string }> };
      expect(body.experiment).not.toBeNull();
      for (const item of body.items) {
        if (rand() >= ctr[body.experiment!.variant]) continue;
        await postFeedback({ request_id: body.request_id, user_id: user, item_id: item.item_id, type: "click" });
        clicks++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return clicks;
}

/** Results once every served list (the users' and the readiness probe's) and every click reached the backend. */
async function resultsWhenComplete(id: string, clicks: number): Promise<Results> {
  let last = "";
  try {
    return await until(`results of ${id} to count every list and click`, 120_000, async () => {
      const { json } = await admin<Results>(`/api/v1/recs/experiments/${id}/results`);
      const lists = json.variants.reduce((n, v) => n + v.lists, 0);
      const counted = json.variants.reduce((n, v) => n + v.clicks, 0);
      last = `lists ${lists}/${USERS + 1}, clicks ${counted}/${clicks}`;
      return lists === USERS + 1 && counted === clicks ? json : null;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message} (${last})`);
  }
}

async function waitForEdge(id: string): Promise<void> {
  await until(`the edge to serve experiment ${id}`, 30_000, async () => {
    const res = await fetch(`${stack.edgeUrl}/v1/recommendations/probe-${id}?experiment_id=${id}`, authed(stack.secrets.clientKey));
    return ((await res.json()) as { experiment: unknown }).experiment ? true : null;
  });
}

describe("experiment results end to end", () => {
  it("declares B the winner when its users click 20% more, with a positive lift", async () => {
    const id = await startExperiment("planted lift");
    try {
      await waitForEdge(id);
      const clicks = await simulate(id, "lift", { a: 0.5, b: 0.6 }, 1);
      const results = await resultsWhenComplete(id, clicks);
      const [comparison] = results.comparisons;
      expect(comparison!.status, results.verdict).toBe("winner");
      expect(comparison!.winner).toBe("b");
      expect(comparison!.metrics.ctr.lift!.lift).toBeGreaterThan(0);
      expect(results.verdict).toMatch(/^b beats a on CTR by \+/i);
    } finally {
      await stopExperiment(id);
    }
  }, 300_000);

  it("declares no winner when both variants click alike", async () => {
    const id = await startExperiment("no difference");
    try {
      await waitForEdge(id);
      const clicks = await simulate(id, "flat", { a: 0.5, b: 0.5 }, 2);
      const results = await resultsWhenComplete(id, clicks);
      expect(results.comparisons[0]!.winner, results.verdict).toBeNull();
      expect(results.verdict).toMatch(/not enough data yet/);
    } finally {
      await stopExperiment(id);
    }
  }, 300_000);
});
