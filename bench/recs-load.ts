/**
 * Load benchmark for GET /v1/recommendations/{userId} against the local stack.
 *
 *   npm run bench:recs [-- --concurrency 8 --duration 20 --heuristic --edge direct --new-users 0.2 --candidates 1000 --disk --baseline <git ref>]
 *
 * Without EDGE_URL and RECS_KEY it starts its own stack (fresh Postgres database on the
 * local server, Redis database 5, ports 38787…), loads the demo data and trains and
 * publishes the first model (unless --heuristic), so the learned path — fold-in
 * retrieval and the ranker in ONNX — is what is measured; with them it loads an already
 * running stack (e.g. `npm start`). Users are a mix of demo users with history and
 * brand-new ones. Prints client-side latency percentiles, throughput and errors, the
 * edge's own time from Server-Timing, each stage's p50 / p99, how many requests made
 * how many network round trips (Server-Timing `trips`), and the CPU time each process
 * used during the measured run (bench/process-cpu.ts; with EDGE_URL the stack's own
 * processes are found by name). `--edge direct` runs the worker in workerd through
 * Miniflare instead of `wrangler dev`, so the dev proxy's CPU is out of the figures.
 */
import { runBaselineIfAsked, type Figure } from "./baseline-run.js";
import { benchTarget } from "./bench-stack.js";
import { argNumber, argShare, latencySummary, percentile, printTable } from "./load-stats.js";
import { cpuRows, cpuSecondsBetween, sampleCpu } from "./process-cpu.js";
import { forkLoadClient } from "./recs-client.js";

const concurrency = argNumber("concurrency", 8);
const durationS = argNumber("duration", 20);
const warmupS = 3;
/** Share of requests for brand-new users (`--new-users 0` for demo users only). */
const newUserShare = argShare("new-users", 0.2);

const FIGURES: Figure[] = [
  { label: "throughput (req/s)", row: "throughput", higherIsBetter: true },
  { label: "client p50 (ms)", row: "client p50", higherIsBetter: false },
  { label: "client p99 (ms)", row: "client p99", higherIsBetter: false },
  { label: "edge p50 (ms)", row: "edge p50", higherIsBetter: false },
  { label: "edge p99 (ms)", row: "edge p99", higherIsBetter: false },
  { label: "workerd CPU per request (ms)", row: "cpu workerd (edge)", pattern: /([\d.]+) ms per request/, higherIsBetter: false },
];

async function main(): Promise<void> {
  if (await runBaselineIfAsked("bench/recs-load.ts", FIGURES)) return;
  const { url, key, stack, edgeName } = await benchTarget(38787, 5);
  try {
    const load = forkLoadClient();
    const groups = { [process.pid]: "this process (backend, gateway)", [load.pid]: "load generator" };
    await load.phase({ url, key, concurrency, seconds: warmupS, record: false, newUserShare });
    const cpuBefore = sampleCpu(groups);
    const { latencies, edgeTimes, stages, versions, trips, ranked, errors } = await load.phase({
      url,
      key,
      concurrency,
      seconds: durationS,
      record: true,
      newUserShare,
    });
    const cpu = cpuSecondsBetween(cpuBefore, sampleCpu(groups));
    load.stop();
    printTable(`GET /v1/recommendations — concurrency ${concurrency}, ${durationS} s (after ${warmupS} s warm-up${edgeName ? `, ${edgeName}` : ""})`, {
      requests: latencies.length,
      "errors or degraded": errors,
      throughput: `${(latencies.length / durationS).toFixed(1)} req/s`,
      ...Object.fromEntries(Object.entries(latencySummary(latencies)).map(([k, v]) => [`client ${k}`, v])),
      ...Object.fromEntries(Object.entries(latencySummary(edgeTimes)).map(([k, v]) => [`edge ${k}`, v])),
      ...Object.fromEntries(
        [...stages].map(([stage, samples]) => {
          const l = latencySummary(samples);
          return [`stage ${stage} (p50 / p99)`, `${l.p50} / ${l.p99}`];
        }),
      ),
      "round trips per request (requests)": [...trips]
        .sort((a, b) => a[0] - b[0])
        .map(([t, n]) => `${t} (${n})`)
        .join(", "),
      ...(ranked.length > 0 ? { "candidates ranked (requests; min / p50 / max)": rankedSummary(ranked) } : {}),
      ...cpuRows(cpu, durationS, latencies.length, "request"),
      "model versions served": [...versions].map(([v, n]) => `${v} (${n})`).join(", "),
    });
  } finally {
    await stack?.teardown();
  }
}

function rankedSummary(ranked: number[]): string {
  const s = [...ranked].sort((a, b) => a - b);
  return `${s.length}; ${s[0]} / ${percentile(s, 50)} / ${s[s.length - 1]}`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
