/**
 * Load benchmark for GET /v1/recommendations/{userId} against the local stack.
 *
 *   npm run bench:recs [-- --concurrency 8 --duration 20 --heuristic --baseline <git ref>]
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
 * processes are found by name).
 */
import { generateDemoData } from "../backend/demo/generate-demo-data.js";
import { startIsolatedStack, type IsolatedStack } from "../scripts/isolated-stack.js";
import { loadDemoAndWait, trainFirstModel } from "../scripts/stack-readiness.js";
import { compare, parseTable, runAgainstBaseline, type Figure } from "./baseline-run.js";
import { argNumber, latencySummary, printTable } from "./load-stats.js";
import { cpuRows, cpuSecondsBetween, sampleCpu } from "./process-cpu.js";

const concurrency = argNumber("concurrency", 8);
const durationS = argNumber("duration", 20);
const warmupS = 3;

async function target(): Promise<{ url: string; key: string; stack: IsolatedStack | null }> {
  if (process.env.EDGE_URL && process.env.RECS_KEY) return { url: process.env.EDGE_URL, key: process.env.RECS_KEY, stack: null };
  console.log("starting an isolated local stack and loading the demo data (about a minute)…");
  const stack = await startIsolatedStack(38787, 5);
  await loadDemoAndWait(stack, generateDemoData(), (l) => console.log(`  ${l}`));
  if (!process.argv.includes("--heuristic")) await trainFirstModel(stack, (l) => console.log(`  train: ${l}`));
  return { url: stack.edgeUrl, key: stack.secrets.clientKey, stack };
}

function pickUser(i: number): string {
  return i % 5 === 0 ? `bench-new-${i}` : `demo-user-${1 + (i % 1500)}`;
}

async function run(url: string, key: string, seconds: number, record: boolean) {
  const latencies: number[] = [];
  const edgeTimes: number[] = [];
  const stages = new Map<string, number[]>();
  const versions = new Map<string, number>();
  /** Requests per count of network round trips (Server-Timing `trips`). */
  const trips = new Map<number, number>();
  let errors = 0;
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const i = n++;
      const start = performance.now();
      try {
        const res = await fetch(`${url}/v1/recommendations/${pickUser(i)}?limit=10`, { headers: { authorization: `Bearer ${key}` } });
        const body = (await res.json()) as { items?: unknown[]; degraded?: string[]; model_version?: string };
        const ms = performance.now() - start;
        if (!res.ok || !body.items || (body.degraded?.length ?? 0) > 0) errors++;
        if (record) {
          latencies.push(ms);
          const timing = res.headers.get("server-timing") ?? "";
          const total = /total;dur=([\d.]+)/.exec(timing);
          if (total) edgeTimes.push(Number(total[1]));
          const tripCount = /trips;desc="(\d+)"/.exec(timing);
          if (tripCount) trips.set(Number(tripCount[1]), (trips.get(Number(tripCount[1])) ?? 0) + 1);
          for (const [, stage, ms] of timing.matchAll(/(\w+);dur=([\d.]+)/g)) {
            if (stage === "total") continue;
            if (!stages.has(stage!)) stages.set(stage!, []);
            stages.get(stage!)!.push(Number(ms));
          }
          if (body.model_version) versions.set(body.model_version, (versions.get(body.model_version) ?? 0) + 1);
        }
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, edgeTimes, stages, versions, trips, errors };
}

const FIGURES: Figure[] = [
  { label: "throughput (req/s)", row: "throughput", higherIsBetter: true },
  { label: "client p50 (ms)", row: "client p50", higherIsBetter: false },
  { label: "client p99 (ms)", row: "client p99", higherIsBetter: false },
  { label: "edge p50 (ms)", row: "edge p50", higherIsBetter: false },
  { label: "edge p99 (ms)", row: "edge p99", higherIsBetter: false },
  { label: "workerd CPU per request (ms)", row: "cpu workerd (edge)", pattern: /([\d.]+) ms per request/, higherIsBetter: false },
];

/** `--baseline <ref>`: the ref's bench, then this one, with the same arguments; ratios printed. */
async function baseline(ref: string): Promise<void> {
  const at = process.argv.indexOf("--baseline");
  const args = process.argv.slice(2).filter((_, i) => i + 2 !== at && i + 2 !== at + 1);
  const { baseline: before, current } = await runAgainstBaseline(ref, "bench/recs-load.ts", args);
  printTable(`Same run: ${ref} first, then this checkout (ratio = now / baseline)`, compare(FIGURES, parseTable(before), parseTable(current)));
}

async function main(): Promise<void> {
  const ref = process.argv[process.argv.indexOf("--baseline") + 1];
  if (process.argv.includes("--baseline")) {
    if (!ref || ref.startsWith("--")) throw new Error("--baseline needs a git ref, e.g. --baseline HEAD~3");
    return await baseline(ref);
  }
  const { url, key, stack } = await target();
  try {
    await run(url, key, warmupS, false);
    const cpuBefore = sampleCpu();
    const { latencies, edgeTimes, stages, versions, trips, errors } = await run(url, key, durationS, true);
    const cpu = cpuSecondsBetween(cpuBefore, sampleCpu());
    printTable(`GET /v1/recommendations — concurrency ${concurrency}, ${durationS} s (after ${warmupS} s warm-up)`, {
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
      ...cpuRows(cpu, durationS, latencies.length, "request"),
      "model versions served": [...versions].map(([v, n]) => `${v} (${n})`).join(", "),
    });
  } finally {
    await stack?.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
