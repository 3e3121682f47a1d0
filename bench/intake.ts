/**
 * Intake benchmark: events per second end to end, from POST /v1/events (batches of
 * 500) through the session objects, the queue, the consumer and the backend until the
 * rows are in Postgres.
 *
 *   npm run bench:intake [-- --events 100000 --concurrency 4 --edge direct --disk]
 *
 * Starts its own stack (fresh Postgres database on the local server, Redis database 4,
 * ports 39787…). The stack's data folder goes to /dev/shm where there is one: the local
 * simulator commits every Durable Object write to its own SQLite file, and on a disk
 * those syncs, not our code, set the pace (1,991 against 6,129 events/s accepted on the
 * 2-core dev machine). `--disk` keeps it on the temporary folder's disk.
 *
 * Prints the rate the edge accepted at and the rate end to end, checks that every event
 * sent is stored exactly once, and where the CPU went per process. `--edge direct` runs
 * the worker in workerd through Miniflare instead of `wrangler dev` (as bench:recs does).
 */
import { authed, startIsolatedStack, until } from "../scripts/isolated-stack.js";
import { edgeRunner } from "./bench-stack.js";
import { argNumber, benchDataRoot, printTable, storedInteractions } from "./load-stats.js";
import { cpuRows, cpuSecondsBetween, sampleCpu } from "./process-cpu.js";

const total = argNumber("events", 100_000);
const concurrency = argNumber("concurrency", 4);
const BATCH = 500;
const dataRoot = benchDataRoot();

function batch(b: number, t0: number): unknown[] {
  return Array.from({ length: Math.min(BATCH, total - b * BATCH) }, (_, i) => {
    const n = b * BATCH + i;
    return {
      event_id: `bench-${n}`,
      user_id: `bench-user-${n % 2000}`,
      item_id: `bench-item-${(n * 7) % 500}`,
      type: n % 20 === 0 ? "purchase" : "view",
      ts: t0 + n,
    };
  });
}

/** A 503 asks the client to retry; event ids make the retry safe. */
async function postWithRetry(edgeUrl: string, key: string, events: unknown[]): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${edgeUrl}/v1/events`, authed(key, { events }));
    if (res.status !== 503 || attempt >= 5) return res;
    retried++;
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, 250 * attempt));
  }
}

let retried = 0;

async function main(): Promise<void> {
  console.log(`starting an isolated local stack (data folder on ${dataRoot ?? "the temporary folder's disk"})…`);
  const stack = await startIsolatedStack(
    39787,
    4,
    (source, line) => {
      if (/"level":"(error|warn)"|✘|Error|restart|Reload/i.test(line)) console.log(`  ${source}| ${line.slice(0, 400)}`);
    },
    { edgeRunner, ...(dataRoot ? { dataRoot } : {}) },
  );
  try {
    const batches = Math.ceil(total / BATCH);
    const t0 = Date.now() - 3600_000;
    const cpuBefore = sampleCpu();
    const start = performance.now();
    let next = 0;
    let rejected = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < batches) {
          const b = next++;
          const res = await postWithRetry(stack.edgeUrl, stack.secrets.clientKey, batch(b, t0));
          if (res.status !== 202) {
            rejected += BATCH;
            console.log(`  batch ${b}: ${res.status} ${(await res.text()).slice(0, 300)}`);
            continue;
          }
          const body = (await res.json()) as { accepted?: number };
          rejected += BATCH - (body.accepted ?? 0);
        }
      }),
    );
    const accepted = (performance.now() - start) / 1000;
    let last = 0;
    await until(`${total} rows in Postgres`, 300_000, async () => {
      const n = await storedInteractions(stack.database.url);
      if (n - last >= 5000) console.log(`  ${n} rows`);
      last = n;
      return n >= total ? n : null;
    });
    const stored = (performance.now() - start) / 1000;
    const cpu = cpuSecondsBetween(cpuBefore, sampleCpu());
    // A fresh database: every row is one of ours, and event ids are unique, so equal counts mean none lost or doubled.
    const rows = await storedInteractions(stack.database.url);
    printTable(`Intake of ${total} events (batches of ${BATCH}, ${concurrency} concurrent posts)`, {
      "edge accepted all in": `${accepted.toFixed(2)} s (${(total / accepted).toFixed(0)} events/s)`,
      "all in Postgres after": `${stored.toFixed(2)} s (${(total / stored).toFixed(0)} events/s end to end)`,
      "sent / stored": `${total} / ${rows}${rows === total ? " (none lost)" : " MISMATCH"}`,
      rejected: rejected,
      "batches retried after 503": retried,
      ...cpuRows(cpu, stored, total, "event"),
    });
    if (rows !== total) process.exitCode = 1;
  } finally {
    await stack.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
