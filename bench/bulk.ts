/**
 * Throughput of POST /v1/recommendations/bulk, the call an email or push system makes.
 *
 *   npm run bench:bulk [-- --users 1000 --calls 6 --edge direct --heuristic --disk --baseline <git ref>]
 *
 * Without EDGE_URL and RECS_KEY it starts its own stack (fresh Postgres database, Redis
 * database 7, ports 38887…), loads the demo data and trains and publishes a model, as
 * bench:recs does. One warm-up call, then `--calls` calls one after another, each for
 * `--users` demo users with history (a different slice of the 1,500 each time). Prints
 * users per second over the measured calls, the call time's spread and the CPU per user
 * for each process. `--baseline <ref>` runs the ref's bench first, then this one, and
 * prints the ratios (bench/baseline-run.ts).
 */
import { runBaselineIfAsked, type Figure } from "./baseline-run.js";
import { benchTarget } from "./bench-stack.js";
import { argNumber, latencySummary, printTable } from "./load-stats.js";
import { cpuRows, cpuSecondsBetween, sampleCpu } from "./process-cpu.js";

const users = argNumber("users", 1000);
const calls = argNumber("calls", 6);
const DEMO_USERS = 1500;

const FIGURES: Figure[] = [
  { label: "throughput (users/s)", row: "throughput", higherIsBetter: true },
  { label: "call time p50 (ms)", row: "call time p50", higherIsBetter: false },
  { label: "workerd CPU per user (ms)", row: "cpu workerd (edge)", pattern: /([\d.]+) ms per user/, higherIsBetter: false },
];

interface BulkBody {
  model_version: string;
  results: Array<{ items: unknown[]; degraded: string[]; personalised: boolean }>;
}

async function bulkCall(url: string, key: string, call: number): Promise<{ ms: number; body: BulkBody }> {
  const ids = Array.from({ length: users }, (_, i) => `demo-user-${1 + ((call * users + i) % DEMO_USERS)}`);
  const start = performance.now();
  const res = await fetch(`${url}/v1/recommendations/bulk`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ user_ids: ids, limit: 10 }),
  });
  const text = await res.text();
  const ms = performance.now() - start;
  if (!res.ok) throw new Error(`bulk call ${call} answered ${res.status}: ${text.slice(0, 300)}`);
  return { ms, body: JSON.parse(text) as BulkBody };
}

async function main(): Promise<void> {
  if (await runBaselineIfAsked("bench/bulk.ts", FIGURES)) return;
  const { url, key, stack, edgeName } = await benchTarget(38887, 7);
  try {
    await bulkCall(url, key, 0);
    const cpuBefore = sampleCpu({ [process.pid]: "this process (backend, gateway, client)" });
    const times: number[] = [];
    let listed = 0;
    let degraded = 0;
    let empty = 0;
    const versions = new Map<string, number>();
    const t0 = performance.now();
    for (let call = 1; call <= calls; call++) {
      const { ms, body } = await bulkCall(url, key, call);
      times.push(ms);
      versions.set(body.model_version, (versions.get(body.model_version) ?? 0) + 1);
      for (const r of body.results) {
        listed++;
        if (r.degraded.length > 0) degraded++;
        if (r.items.length === 0) empty++;
      }
      console.log(`  call ${call}/${calls}: ${users} users in ${ms.toFixed(0)} ms`);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSecondsBetween(cpuBefore, sampleCpu({ [process.pid]: "this process (backend, gateway, client)" }));
    const spread = latencySummary(times);
    printTable(
      `POST /v1/recommendations/bulk — ${calls} calls of ${users} users, one after another (after one warm-up call${edgeName ? `, ${edgeName}` : ""})`,
      {
        "users listed": listed,
        "lists degraded": degraded,
        "empty lists": empty,
        throughput: `${(listed / seconds).toFixed(0)} users/s`,
        "call time p50": spread.p50,
        "call time max": spread.max,
        ...cpuRows(cpu, seconds, listed, "user"),
        "model versions served": [...versions].map(([v, n]) => `${v} (${n} calls)`).join(", "),
      },
    );
  } finally {
    await stack?.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
