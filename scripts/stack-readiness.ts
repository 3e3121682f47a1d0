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
