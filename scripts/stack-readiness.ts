/** Waits that make `npm start` print its curl only when that curl will work. */
import type { DemoData } from "../backend/demo/generate-demo-data.js";
import { loadDemoData } from "../backend/demo/load-demo-data.js";

export async function waitForKeys(edgeUrl: string, key: string, timeoutMs = 60_000): Promise<void> {
  await poll(timeoutMs, "the backend to publish the API keys to the edge", async () => {
    const res = await fetch(`${edgeUrl}/v1/popular?limit=1`, { headers: { authorization: `Bearer ${key}` } });
    await res.body?.cancel();
    return res.status !== 401;
  });
}

/** The demo events travel edge → queue → consumer → Redis; wait until popularity shows them. */
export async function waitForRecommendations(edgeUrl: string, key: string, log: (line: string) => void, timeoutMs = 180_000): Promise<void> {
  let last = -1;
  await poll(timeoutMs, "the demo events to reach the feature store", async () => {
    const res = await fetch(`${edgeUrl}/v1/popular?window=7d&limit=10`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as { items?: unknown[] };
    const n = body.items?.length ?? 0;
    if (n !== last) log(`popular list has ${n} items`);
    last = n;
    return n >= 10;
  });
}

async function poll(timeoutMs: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

/** Sum of the backend's ingested-events counter, from its Prometheus endpoint. */
export async function ingestedEvents(backendUrl: string): Promise<number> {
  const text = await (await fetch(`${backendUrl}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/^\w*ingested_events_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/gm)) total += Number(m[1]);
  return total;
}

/** Waits until the backend has stored `expected` events, printing progress now and then. */
export async function waitForIngest(backendUrl: string, expected: number, log: (line: string) => void, timeoutMs = 300_000): Promise<void> {
  let lastPrinted = 0;
  await poll(timeoutMs, `${expected} events to reach the backend`, async () => {
    const n = await ingestedEvents(backendUrl);
    if (n >= expected || Date.now() - lastPrinted > 5_000) {
      log(`stored ${n}/${expected} events`);
      lastPrinted = Date.now();
    }
    return n >= expected;
  });
}

/**
 * Loads the demo data into an empty stack and waits until it is served: every event
 * stored by the backend and the popular list filled. Returns false when the stack
 * already had a catalog.
 */
export async function loadDemoAndWait(
  stack: { backendUrl: string; edgeUrl: string; secrets: { adminKey: string; clientKey: string } },
  data: DemoData,
  log: (line: string) => void,
): Promise<boolean> {
  const result = await loadDemoData({
    backendUrl: stack.backendUrl,
    edgeUrl: stack.edgeUrl,
    adminKey: stack.secrets.adminKey,
    clientKey: stack.secrets.clientKey,
    data,
    onProgress: log,
  });
  if (!result.loaded) return false;
  await waitForIngest(stack.backendUrl, result.events.accepted, log);
  await waitForRecommendations(stack.edgeUrl, stack.secrets.clientKey, log);
  return true;
}

interface StackAccess {
  backendUrl: string;
  edgeUrl: string;
  secrets: { adminKey: string; clientKey: string };
}

interface Job {
  status: "queued" | "running" | "succeeded" | "failed";
  progress: number;
  message: string;
  version: string | null;
  error: string | null;
}

async function adminJson<T>(stack: StackAccess, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${stack.backendUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${stack.secrets.adminKey}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Queues a training run through the backend API and follows it to the end. */
export async function trainAndWait(
  stack: StackAccess,
  body: { model_type?: "pipeline" | "retrieval" },
  log: (line: string) => void,
  timeoutMs = 600_000,
): Promise<string> {
  const { training_id } = await adminJson<{ training_id: string }>(stack, "/api/v1/recs/train", body);
  let last = "";
  let job: Job | null = null;
  await poll(timeoutMs, `training ${training_id}`, async () => {
    job = await adminJson<Job>(stack, `/api/v1/recs/train/${training_id}`);
    const line = `${job.status} ${Math.round(job.progress * 100)}% ${job.message}`;
    if (line !== last) log(line);
    last = line;
    return job.status === "succeeded" || job.status === "failed";
  });
  const done = job as Job | null;
  if (!done || done.status === "failed" || !done.version) throw new Error(`training failed: ${done?.error ?? "no version"}`);
  return done.version;
}

/** The version the edge serves to a user with no history, polled until it is `version`. */
export async function waitForServedVersion(stack: StackAccess, version: string, timeoutMs = 60_000): Promise<void> {
  await poll(timeoutMs, `the edge to serve model ${version}`, async () => {
    const res = await fetch(`${stack.edgeUrl}/v1/recommendations/readiness-probe?limit=1`, { headers: { authorization: `Bearer ${stack.secrets.clientKey}` } });
    return ((await res.json()) as { model_version?: string }).model_version === version;
  });
}

/**
 * `npm start`'s first model: when the registry has no champion yet, train the full
 * pipeline on what is in the database and wait until the edge serves it. Returns the
 * serving version.
 */
export async function trainFirstModel(stack: StackAccess, log: (line: string) => void): Promise<string> {
  const { champion } = await adminJson<{ champion: string | null }>(stack, "/api/v1/recs/models");
  if (champion) {
    log(`model ${champion} is the champion; not retraining (POST /api/v1/recs/train to retrain)`);
    await waitForServedVersion(stack, champion);
    return champion;
  }
  const version = await trainAndWait(stack, {}, log);
  const { champion: now } = await adminJson<{ champion: string | null }>(stack, "/api/v1/recs/models");
  if (now !== version) throw new Error(`model ${version} was trained but not promoted (champion: ${now ?? "none"}); see GET /api/v1/recs/models/${version}`);
  await waitForServedVersion(stack, version);
  return version;
}
