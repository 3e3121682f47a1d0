/**
 * Does the backend keep answering while it trains? Imports a synthetic history, starts a
 * training through the API, and calls the backend's `GET /health` every 20 ms until the
 * job ends: latency percentiles during training, next to an idle baseline.
 *
 *   npm run bench:health-training [-- --events 200000 --users 5000 --items 3000]
 *
 * Own stack: fresh Postgres database, Redis database 13, ports 36787…. The history is
 * seeded: each user mostly buys from one of 30 taste groups, so the training does its
 * full work (model selection, EASE, the ranker).
 */
import { mulberry32 } from "../models/prng.js";
import { authed, startIsolatedStack, type IsolatedStack } from "../scripts/isolated-stack.js";
import { argNumber, latencySummary, printTable } from "./load-stats.js";

const events = argNumber("events", 200_000);
const users = argNumber("users", 5_000);
const items = argNumber("items", 3_000);
const GROUPS = 30;
const DAY = 86_400_000;

function history(): string {
  const rand = mulberry32(5);
  const start = Date.now() - 60 * DAY;
  const perGroup = Math.floor(items / GROUPS);
  const lines: string[] = [];
  for (let n = 0; n < events; n++) {
    const u = Math.floor(rand() * users);
    const group = rand() < 0.85 ? u % GROUPS : Math.floor(rand() * GROUPS);
    const item = group * perGroup + Math.floor(rand() * rand() * perGroup);
    lines.push(
      JSON.stringify({ user_id: `u${u}`, item_id: `i${item}`, type: n % 4 === 0 ? "purchase" : "view", ts: start + Math.floor((n / events) * 59 * DAY) }),
    );
  }
  return `${lines.join("\n")}\n`;
}

async function healthSamples(stack: IsolatedStack, until: () => boolean): Promise<number[]> {
  const samples: number[] = [];
  while (!until()) {
    const t = performance.now();
    const res = await fetch(`${stack.backendUrl}/health`);
    await res.arrayBuffer();
    samples.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  return samples;
}

const stack = await startIsolatedStack(36787, 13);
try {
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.backendUrl}${path}`, { ...init, headers: { authorization: `Bearer ${stack.secrets.adminKey}`, ...init.headers } });
  const catalog = Array.from({ length: items }, (_, i) => ({ item_id: `i${i}`, title: `Item ${i}`, category: `group-${Math.floor(i / (items / GROUPS))}` }));
  for (let i = 0; i < catalog.length; i += 1000) {
    const res = await fetch(`${stack.backendUrl}/api/v1/catalog/items`, authed(stack.secrets.adminKey, { items: catalog.slice(i, i + 1000) }));
    if (!res.ok) throw new Error(`catalog upsert answered ${res.status}: ${await res.text()}`);
  }
  const imported = await admin("/api/v1/interactions/import", { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: history() });
  if (!imported.ok) throw new Error(`import answered ${imported.status}: ${await imported.text()}`);
  console.error(`[health] imported ${events.toLocaleString("en-US")} events; idle baseline…`);
  let idleDone = false;
  setTimeout(() => (idleDone = true), 5_000);
  const idle = await healthSamples(stack, () => idleDone);

  const queued = (await (await admin("/api/v1/recs/train", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).json()) as {
    training_id: string;
  };
  const t0 = performance.now();
  let finished: { status: string; message: string } | null = null;
  const statusLatencies: number[] = [];
  const watch = (async () => {
    while (!finished) {
      await new Promise((r) => setTimeout(r, 2_000));
      const t = performance.now();
      const job = (await (await admin(`/api/v1/recs/train/${queued.training_id}`)).json()) as { status: string; message: string; progress: number };
      statusLatencies.push(performance.now() - t);
      console.error(`[health] ${job.status} ${Math.round(job.progress * 100)}% ${job.message}`);
      if (job.status === "succeeded" || job.status === "failed") finished = job;
    }
  })();
  const during = await healthSamples(stack, () => finished !== null);
  await watch;
  const seconds = (performance.now() - t0) / 1000;
  const done = finished as { status: string; message: string } | null;
  printTable(`backend /health while training on ${events.toLocaleString("en-US")} events (${users} users × ${items} items)`, {
    training: `${done?.status} in ${seconds.toFixed(1)} s: ${done?.message}`,
    "idle /health": `${idle.length} calls: ${Object.entries(latencySummary(idle))
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    "/health during training": `${during.length} calls: ${Object.entries(latencySummary(during))
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    "job status during training": `${statusLatencies.length} calls: ${Object.entries(latencySummary(statusLatencies))
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  });
} finally {
  await stack.teardown();
}
