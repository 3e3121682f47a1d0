/** Waits that make `npm start` print its curl only when that curl will work. */

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
