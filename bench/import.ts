/**
 * History import benchmark: rows per second from `POST /api/v1/interactions/import`
 * (NDJSON over HTTP) until they are committed in Postgres, then the same file again
 * (every row a duplicate), then a file with 1% bad rows.
 *
 *   npm run bench:import [-- --events 200000 --users 5000 --items 4000]
 *
 * Starts its own stack (fresh Postgres database on the local server, Redis database 6,
 * ports 39887…); the body is generated in memory, seeded, with 1990s timestamps.
 */
import { startIsolatedStack } from "../scripts/isolated-stack.js";
import { mulberry32 } from "../models/prng.js";
import { argNumber, printTable, storedInteractions } from "./load-stats.js";

const events = argNumber("events", 200_000);
const users = argNumber("users", 5_000);
const items = argNumber("items", 4_000);
const T0 = Date.UTC(1997, 0, 1);

function body(badEvery: number): string {
  const rand = mulberry32(7);
  const lines: string[] = [];
  for (let n = 0; n < events; n++) {
    const ts = n % badEvery === badEvery - 1 ? -1 : T0 + n * 1000;
    const item = Math.floor(rand() ** 2 * items);
    lines.push(JSON.stringify({ user_id: `u${Math.floor(rand() * users)}`, item_id: `i${item}`, type: n % 5 === 0 ? "purchase" : "view", ts }));
  }
  return `${lines.join("\n")}\n`;
}

const stack = await startIsolatedStack(39887, 6);
try {
  const send = async (text: string, query = "") => {
    const t = performance.now();
    const res = await fetch(`${stack.backendUrl}/api/v1/interactions/import${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.secrets.adminKey}`, "content-type": "application/x-ndjson" },
      body: text,
    });
    const result = (await res.json()) as { stored: number; duplicates: number; bad_rows: number; errors: unknown[] };
    if (!res.ok) throw new Error(`import answered ${res.status}: ${JSON.stringify(result)}`);
    return { ...result, seconds: (performance.now() - t) / 1000 };
  };
  const clean = body(Number.MAX_SAFE_INTEGER);
  const first = await send(clean);
  const inDb = await storedInteractions(stack.database.url);
  const again = await send(clean);
  const dirty = await send(body(100).replace(/"u(\d)/g, '"w$1'), `?max_bad_rows=${events}`);
  const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString("en-US")} rows/s`;
  printTable(`history import, ${events.toLocaleString("en-US")} NDJSON rows, ${users} users × ${items} items`, {
    "first import": `${first.stored.toLocaleString("en-US")} stored in ${first.seconds.toFixed(1)} s: ${rate(events, first.seconds)} (rows in Postgres after it: ${inDb.toLocaleString("en-US")})`,
    "same file again": `${again.stored} stored, ${again.duplicates.toLocaleString("en-US")} duplicates in ${again.seconds.toFixed(1)} s: ${rate(events, again.seconds)}`,
    "file with 1% bad rows": `${dirty.stored.toLocaleString("en-US")} stored, ${dirty.bad_rows.toLocaleString("en-US")} bad reported (${dirty.errors.length} listed) in ${dirty.seconds.toFixed(1)} s: ${rate(events, dirty.seconds)}`,
  });
} finally {
  await stack.teardown();
}
