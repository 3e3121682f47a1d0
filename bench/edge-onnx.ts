/**
 * ONNX latency and memory at the edge (onnxruntime-web in workerd) vs the backend
 * (onnxruntime-node), on byte-identical graphs.
 *
 *   npm run bench:onnx [-- --runs 500 --sizes 10000,100000,300000 --warmup 20
 *                          --timing auto|inside|http --port 38900-38999 (first free)]
 *
 * What is measured
 * 1. Ranker: 1,000 candidates × 13 features through a 60-tree / 15-leaf (the largest ranker the trainer ships)
 *    TreeEnsembleRegressor (buildRankerGraph of a seeded random ensemble,
 *    bench/random-ensemble.ts). Target: p99 ≤ 2 ms in workerd.
 * 2. In-process retrieval: buildFoldInRetrievalGraph (64 factors ~ Normal(0, 0.1),
 *    k = 100, λ = 5, α = 1) over each of --sizes items, folding in a 5-item history.
 *    Target: p99 ≤ 5 ms over 100k items in workerd.
 *    A run is what the edge does per request (worker/models/inference.ts): build the input
 *    tensors, run, read every output (retrieval: the top list, the user vector and the
 *    gathered scores of 150 other candidates; every item's score stays inside the runtime).
 * 3. Isolate memory: VmRSS (and VmHWM) from /proc of the workerd process running the
 *    worker (wrangler 4 runs two workerd: a proxy owning the public port and, behind it,
 *    the runtime with our isolate), before any model, after onnxruntime-web starts, after
 *    loading (session + one run) each retrieval size and the ranker, and after the
 *    latency runs; plus the size of onnxruntime-web's WASM heap. Models stay loaded, so
 *    each step's growth is what that model added. Then each model again alone in a fresh
 *    isolate (a new wrangler dev per model), the cost of one active version without heap
 *    space left free by other models.
 *
 * How
 * - The edge side is a tiny worker (bench/workerd/onnx-bench-worker.ts) under
 *   `wrangler dev`, started as the edge starts onnxruntime-web (ensureOrtRuntime /
 *   getSession from worker/onnx/ort-runtime.ts: precompiled .wasm, one thread). It builds
 *   the graphs itself from the shared seeds; the driver checks their sha256 against its
 *   own and that both runtimes return the same top results.
 * - Timing in workerd: the driver first asks the worker whether performance.now()
 *   advances during synchronous and async CPU work (Workers may freeze the clock between
 *   I/O). If it does, runs are timed inside the worker (`inside`); otherwise one HTTP
 *   request per run, minus the median latency of an empty endpoint (`http`, raw and net;
 *   each run's request follows an empty one, so the overhead comes from the same window).
 *   The HTTP figures are always printed too, as a cross-check: workerd's clock has a
 *   coarse (1 ms) resolution, so in-worker percentiles are whole milliseconds.
 * - The backend side is onnxruntime-node with intraOpNumThreads = interOpNumThreads = 1,
 *   run in this process after wrangler has been stopped, so the two never share the CPU.
 *
 * Caveats: a shared 2-core box under other load, so tails are noisy (the 1-minute load
 * average is printed); local workerd under wrangler dev is not production (different
 * CPUs, no per-isolate memory limit enforced, no CPU-time accounting, and a clock that
 * may behave differently from production's; production isolates get 128 MB). RSS is
 * the whole workerd process, including garbage the JS heap has not collected yet right
 * after a model was built in the worker (the factors, their transpose and the encoded
 * bytes: the edge, which reads the bytes from R2, makes less); the WASM heap never
 * shrinks. wrangler dev restarts the worker when a source file of its bundle changes;
 * every answer carries an isolate id and the run stops if it changes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { HISTORY_ITEMS, HISTORY_STRENGTH, ITEM_SCORES, RETRIEVAL_INDICES, RETRIEVAL_SCORES, SCORE_ITEMS, USER_VECTOR } from "../models/onnx/retrieval-graph.js";
import { RANKER_INPUT, RANKER_OUTPUT } from "../models/onnx/ranker-graph.js";
import { percentile } from "./load-stats.js";
import { benchRanker, benchRetrieval, ONNX_BENCH } from "./random-ensemble.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const CONFIG = join(ROOT, "bench", "workerd", "wrangler.toml");
const RANKER_TARGET_MS = 2;
const RETRIEVAL_TARGET_MS = 5;
const RETRIEVAL_TARGET_ITEMS = 100_000;
/** Cloudflare's per-isolate memory limit, "128 MB"; compared here as 128 MiB, the lenient reading. */
const WORKERS_MEMORY_LIMIT_MIB = 128;

// ─────────────────────────────── flags ───────────────────────────────

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
  return n;
}

const runs = positiveInt("runs", flag("runs"), 500);
const warmup = positiveInt("warmup", flag("warmup"), 20);
const sizes = (flag("sizes") ?? "10000,100000,300000").split(",").map((s) => positiveInt("sizes", s.trim(), 0));
const timingFlag = flag("timing") ?? "auto";
if (!["auto", "inside", "http"].includes(timingFlag)) throw new Error(`--timing must be auto, inside or http, got ${timingFlag}`);
for (const n of sizes) {
  if (n < ONNX_BENCH.retrieval.k) throw new Error(`--sizes: ${n} items is fewer than k = ${ONNX_BENCH.retrieval.k}`);
}

const progress = (line: string) => process.stderr.write(`[bench:onnx] ${line}\n`);

// ─────────────────────────────── wrangler dev ───────────────────────────────

async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** `port` and `port + 1` (the inspector) free, from --port or the first pair in 38900-38999. */
async function choosePort(): Promise<number> {
  const wanted = flag("port");
  if (wanted !== undefined) return positiveInt("port", wanted, 0);
  for (let p = 38900; p < 38999; p += 2) if ((await portFree(p)) && (await portFree(p + 1))) return p;
  throw new Error("no free port pair in 38900-38999");
}

interface Edge {
  url: string;
  child: ChildProcess;
  tmp: string;
  output: string[];
}

function startWrangler(port: number): Edge {
  const tmp = mkdtempSync(join(tmpdir(), "bench-onnx-"));
  const args = [
    "dev",
    "--config",
    CONFIG,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(port + 1),
    "--persist-to",
    join(tmp, "state"),
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
  ];
  const child = spawn(join(ROOT, "node_modules", ".bin", "wrangler"), args, {
    cwd: ROOT,
    env: {
      ...process.env,
      // No request.cf download, and a registry of its own so other wranglers on the
      // machine neither see this one nor make it reload.
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_REGISTRY_PATH: join(tmp, "registry"),
      WRANGLER_SEND_METRICS: "false",
      FORCE_COLOR: "0",
      NO_COLOR: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on("line", (l) => output.push(l));
  }
  return { url: `http://127.0.0.1:${port}`, child, tmp, output };
}

async function waitReady(edge: Edge, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (edge.child.exitCode !== null) throw new Error(`wrangler dev exited with code ${edge.child.exitCode}:\n${edge.output.join("\n")}`);
    try {
      const res = await fetch(`${edge.url}/noop`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok && (await res.text()) === "ok") return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer /noop within ${timeoutMs / 1000} s:\n${edge.output.join("\n")}`);
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid …: comm may hold spaces, so parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function descendants(pid: number): number[] {
  const all: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of childrenOf(queue.shift()!)) {
      all.push(c);
      queue.push(c);
    }
  }
  return all;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/**
 * The workerd processes under wrangler. wrangler 4 runs two: a proxy that owns the
 * public port (`--socket-addr=entry=127.0.0.1:<port>`) and the runtime that runs the
 * worker, behind it. The isolate we measure lives in the latter.
 */
function findWorkerd(edge: Edge, port: number): { runtime: number; proxy: number | null; all: number[] } {
  const all = descendants(edge.child.pid!).filter((p) => /(^|\/)workerd\s/.test(cmdline(p)));
  const proxy = all.find((p) => cmdline(p).includes(`entry=127.0.0.1:${port} `)) ?? null;
  const rest = all.filter((p) => p !== proxy);
  if (rest.length === 0) throw new Error(`no workerd runtime process under wrangler (pid ${edge.child.pid}); found ${all.join(", ") || "none"}`);
  if (rest.length > 1) progress(`several workerd runtimes (${rest.join(", ")}); measuring the largest`);
  const runtime = rest.reduce((a, b) => (memoryOf(b).rss > memoryOf(a).rss ? b : a));
  return { runtime, proxy, all };
}

function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS") * 1024, hwm: kib("VmHWM") * 1024 };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const stops = new WeakMap<Edge, Promise<void>>();

/** SIGINT to wrangler (it stops its workerd children), SIGKILL after 10 s; then any workerd it left. */
function stopWrangler(edge: Edge, workerd: number[]): Promise<void> {
  let stopping = stops.get(edge);
  if (stopping) return stopping;
  stopping = (async () => {
    const { child } = edge;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGINT");
      const ok = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]);
      if (!ok) {
        child.kill("SIGKILL");
        await exited;
      }
    }
    for (const pid of workerd) {
      for (let i = 0; i < 20 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (alive(pid)) process.kill(pid, "SIGKILL");
    }
    rmSync(edge.tmp, { recursive: true, force: true });
  })();
  stops.set(edge, stopping);
  return stopping;
}

/** What Ctrl-C must stop: the wrangler dev currently running, if any. */
let stopCurrent: (() => Promise<void>) | undefined;

interface RunningEdge {
  url: string;
  runtime: number;
  proxy: number | null;
  memory(): { rss: number; hwm: number };
}

/** Starts wrangler dev on a free port, waits for /noop, runs `fn`, and always stops it. */
async function withWrangler<T>(fn: (edge: RunningEdge) => Promise<T>): Promise<T> {
  const port = await choosePort();
  progress(`starting wrangler dev on 127.0.0.1:${port} (inspector ${port + 1})`);
  const edge = startWrangler(port);
  let pids: number[] = [];
  const stop = () => stopWrangler(edge, pids);
  stopCurrent = stop;
  isolate = undefined;
  try {
    await waitReady(edge, 120_000);
    const workerd = findWorkerd(edge, port);
    pids = workerd.all;
    progress(`ready; workerd runtime pid ${workerd.runtime}${workerd.proxy ? `, proxy pid ${workerd.proxy}` : ""}`);
    return await fn({ url: edge.url, runtime: workerd.runtime, proxy: workerd.proxy, memory: () => memoryOf(workerd.runtime) });
  } finally {
    progress("stopping wrangler dev");
    await stop();
    stopCurrent = undefined;
  }
}

// ─────────────────────────────── the edge side ───────────────────────────────

let isolate: string | undefined;

/**
 * wrangler dev rebuilds and restarts the worker when any source file of its bundle
 * changes (others may be editing models/), which would drop the loaded models and
 * reset the memory figures: every answer must come from the first isolate.
 */
function checkIsolate(res: Response): void {
  const id = res.headers.get("x-bench-isolate");
  if (id === null) return; // answered by wrangler's proxy, not the worker
  isolate ??= id;
  if (id !== isolate) throw new Error("the worker was restarted mid-run (wrangler dev reloads when a source file changes); run again");
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = await res.text();
  checkIsolate(res);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${body}`);
  return JSON.parse(body) as T;
}

interface LoadAnswer {
  key: string;
  bytes: number;
  sha256: string;
  first: number[];
  wasmHeapBytes: number | null;
}

interface RunsAnswer {
  runs: number;
  samples: number[] | null;
  totalMs: number | null;
  first: number[];
}

interface ClockAnswer {
  iterations: number;
  sync: { perfMs: number; dateMs: number };
  microtasks: { perfMs: number; dateMs: number };
  ort: { perfMs: number; dateMs: number; runs: number } | null;
}

interface MemoryRow {
  stage: string;
  rss: number;
  hwm: number;
  wasmHeap: number | null;
  modelBytes?: number;
}

interface Stats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? NaN,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

const withQuery = (path: string, query: string) => `${path}${path.includes("?") ? "&" : "?"}${query}`;

/**
 * One request per run, each paired with an empty request just before it, so the HTTP
 * overhead subtracted is measured in the same window as the runs (the box's load drifts).
 */
async function httpPaired(url: string, noopUrl: string, n: number, warm: number): Promise<{ raw: number[]; noop: number[] }> {
  const raw: number[] = [];
  const noop: number[] = [];
  for (let i = 0; i < warm + n; i++) {
    const [a] = await httpSamples(noopUrl, 1, 0);
    const [b] = await httpSamples(url, 1, 0);
    if (i >= warm) {
      noop.push(a!);
      raw.push(b!);
    }
  }
  return { raw, noop };
}

/** One request per run; returns the request latencies in ms. */
async function httpSamples(url: string, n: number, warm: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < warm + n; i++) {
    const t = performance.now();
    const res = await fetch(url);
    const body = await res.text();
    if (i >= warm) out.push(performance.now() - t);
    checkIsolate(res);
    if (!res.ok) throw new Error(`${url}: ${res.status} ${body}`);
  }
  return out;
}

interface Target {
  name: string;
  key: string;
  path: string; // worker endpoint without runs/warmup/time
  items?: number;
}

interface EdgeResult {
  method: "inside" | "http";
  clock: { before: ClockAnswer; withOrt: ClockAnswer; wallMs: number; resolutionMs: number | null };
  noop: Stats;
  inside: Map<string, Stats> | null;
  httpRaw: Map<string, Stats>;
  httpNet: Map<string, Stats>;
  loads: Map<string, LoadAnswer>;
  memory: MemoryRow[];
  workerd: { runtime: number; proxy: number | null };
}

/** 1 (ms) when every in-worker sample is a whole number of milliseconds, as workerd's coarsened clock gives; else null. */
function clockResolution(samples: readonly number[]): number | null {
  if (samples.every((x) => Number.isInteger(x))) return 1;
  return null;
}

async function edgeSide(targets: Target[]): Promise<EdgeResult> {
  return withWrangler(async (edge) => {
    const memory: MemoryRow[] = [];
    const snapshot = (stage: string, wasmHeap: number | null, modelBytes?: number) => {
      const m = edge.memory();
      memory.push({ stage, rss: m.rss, hwm: m.hwm, wasmHeap, ...(modelBytes === undefined ? {} : { modelBytes }) });
    };

    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${edge.url}/noop`);
      await res.text();
      checkIsolate(res);
    }
    snapshot("isolate up, no model (after /noop)", null);
    const rt = await getJson<{ wasmHeapBytes: number | null }>(`${edge.url}/runtime`);
    snapshot("onnxruntime-web started", rt.wasmHeapBytes);

    progress("checking whether performance.now() advances inside workerd");
    const t = performance.now();
    const before = await getJson<ClockAnswer>(`${edge.url}/clock`);
    const wallMs = performance.now() - t;

    const loads = new Map<string, LoadAnswer>();
    for (const target of targets) {
      progress(`loading ${target.name} in workerd`);
      const query = target.items === undefined ? "model=ranker" : `model=retrieval&items=${target.items}`;
      const answer = await getJson<LoadAnswer>(`${edge.url}/load?${query}`);
      loads.set(target.key, answer);
      snapshot(`+ ${target.name} loaded`, answer.wasmHeapBytes, answer.bytes);
    }
    const withOrt = await getJson<ClockAnswer>(`${edge.url}/clock`);
    const advances = (c: ClockAnswer) => c.sync.perfMs > 0 && c.microtasks.perfMs > 0 && (c.ort === null || c.ort.perfMs > 0);
    const clockAdvances = advances(before) && advances(withOrt) && before.sync.perfMs + before.microtasks.perfMs >= 0.5 * wallMs;
    const method: "inside" | "http" = timingFlag === "auto" ? (clockAdvances ? "inside" : "http") : (timingFlag as "inside" | "http");
    progress(
      `performance.now() ${clockAdvances ? "advances" : "does NOT advance"} during CPU work ` +
        `(sync ${before.sync.perfMs} ms, async ${before.microtasks.perfMs} ms of a ${wallMs.toFixed(0)} ms request; ` +
        `50 ranker runs ${withOrt.ort?.perfMs ?? "?"} ms) → timing: ${method}`,
    );

    progress(`empty endpoint: ${runs} requests`);
    const noop = stats(await httpSamples(`${edge.url}/noop`, runs, warmup));
    const inside = method === "inside" ? new Map<string, Stats>() : null;
    const httpRaw = new Map<string, Stats>();
    const httpNet = new Map<string, Stats>();
    let resolutionMs: number | null = null;
    for (const target of targets) {
      if (inside) {
        progress(`workerd ${target.name}: ${runs} runs timed inside the worker`);
        const a = await getJson<RunsAnswer>(`${edge.url}${withQuery(target.path, `runs=${runs}&warmup=${warmup}&time=inside`)}`);
        const s = stats(a.samples!);
        // The span over all runs has one clock step of error in total, not per run.
        inside.set(target.key, { ...s, mean: a.totalMs! / a.runs });
        resolutionMs ??= clockResolution(a.samples!);
      }
      progress(`workerd ${target.name}: ${runs} runs, one HTTP request each (each after an empty request)`);
      const paired = await httpPaired(`${edge.url}${withQuery(target.path, "runs=1")}`, `${edge.url}/noop`, runs, warmup);
      const overhead = stats(paired.noop).p50;
      httpRaw.set(target.key, stats(paired.raw));
      httpNet.set(target.key, stats(paired.raw.map((x) => x - overhead)));
    }
    snapshot("after the latency runs", (await getJson<{ wasmHeapBytes: number | null }>(`${edge.url}/runtime`)).wasmHeapBytes);
    return {
      method,
      clock: { before, withOrt, wallMs, resolutionMs },
      noop,
      inside,
      httpRaw,
      httpNet,
      loads,
      memory,
      workerd: { runtime: edge.runtime, proxy: edge.proxy },
    };
  });
}

interface FreshMemory {
  rssGrowth: number;
  hwm: number;
  wasmHeap: number | null;
  modelBytes: number;
}

/**
 * Each model alone in a fresh isolate (a new wrangler dev per model): what an isolate
 * serving just that active version holds, without heap space left by other models.
 */
async function freshIsolates(targets: Target[]): Promise<Map<string, FreshMemory>> {
  const out = new Map<string, FreshMemory>();
  for (const target of targets) {
    const row = await withWrangler(async (edge) => {
      progress(`memory of ${target.name} alone in a fresh isolate`);
      await getJson(`${edge.url}/runtime`);
      const before = edge.memory();
      const query = target.items === undefined ? "model=ranker" : `model=retrieval&items=${target.items}`;
      const answer = await getJson<LoadAnswer>(`${edge.url}/load?${query}`);
      const after = edge.memory();
      return { rssGrowth: after.rss - before.rss, hwm: after.hwm, wasmHeap: answer.wasmHeapBytes, modelBytes: answer.bytes };
    });
    out.set(target.key, row);
  }
  return out;
}

// ─────────────────────────────── the backend side ───────────────────────────────

interface NodeResult {
  stats: Stats;
  sha256: string;
  first: number[];
  rssGrowth: number;
}

const NODE_OPTIONS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "all" };

async function nodeSide(targets: Target[], keep: ort.InferenceSession[]): Promise<Map<string, NodeResult>> {
  const out = new Map<string, NodeResult>();
  for (const target of targets) {
    progress(`onnxruntime-node ${target.name}: building, ${runs} runs`);
    const rssBefore = process.memoryUsage().rss;
    let run: () => Promise<number[]>;
    let sha256: string;
    if (target.items === undefined) {
      const { bytes, features, dims } = benchRanker();
      sha256 = createHash("sha256").update(bytes).digest("hex");
      const session = await ort.InferenceSession.create(bytes, NODE_OPTIONS);
      keep.push(session);
      run = async () => {
        const res = await session.run({ [RANKER_INPUT]: new ort.Tensor("float32", features, dims) });
        return Array.from((res[RANKER_OUTPUT]!.data as Float32Array).subarray(0, 5));
      };
    } else {
      const items = target.items;
      const { bytes, history, scored } = benchRetrieval(items);
      sha256 = createHash("sha256").update(bytes).digest("hex");
      const session = await ort.InferenceSession.create(bytes, NODE_OPTIONS);
      keep.push(session);
      run = async () => {
        const res = await session.run({
          [HISTORY_ITEMS]: new ort.Tensor("int64", history.items, [history.items.length]),
          [HISTORY_STRENGTH]: new ort.Tensor("float32", history.strength, [history.strength.length]),
          [SCORE_ITEMS]: new ort.Tensor("int64", scored, [scored.length]),
        });
        const indices = Array.from(res[RETRIEVAL_INDICES]!.data as BigInt64Array, Number);
        Array.from(res[RETRIEVAL_SCORES]!.data as Float32Array);
        if ((res[ITEM_SCORES]!.data as Float32Array).length !== scored.length || !res[USER_VECTOR]) throw new Error("unexpected output sizes");
        return indices.slice(0, 10);
      };
    }
    const first = await run();
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    for (let i = 0; i < warmup; i++) await run();
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await run();
      samples.push(performance.now() - t);
    }
    out.set(target.key, { stats: stats(samples), sha256, first, rssGrowth });
  }
  return out;
}

// ─────────────────────────────── report ───────────────────────────────

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const mib = (bytes: number | null | undefined) => (bytes === null || bytes === undefined || !Number.isFinite(bytes) ? "–" : `${(bytes / 2 ** 20).toFixed(1)}`);
const signedMib = (bytes: number) => `${bytes >= 0 ? "+" : "−"}${mib(Math.abs(bytes))}`;
const itemsLabel = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));

function table(headers: string[], rows: string[][], right: boolean[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
  console.log(`  ${line(headers)}`);
  console.log(`  ${widths.map((w) => "─".repeat(w)).join("  ")}`);
  for (const r of rows) console.log(`  ${line(r)}`);
}

function sameFirst(a: number[], b: number[], exact: boolean): boolean {
  return a.length === b.length && a.every((x, i) => (exact ? x === b[i] : Math.abs(x - b[i]!) <= 1e-5 * Math.max(1, Math.abs(x))));
}

function report(targets: Target[], edge: EdgeResult, fresh: Map<string, FreshMemory>, node: Map<string, NodeResult>): void {
  const r = ONNX_BENCH.ranker;
  const q = ONNX_BENCH.retrieval;
  console.log(
    `\nONNX at the edge vs the backend — ${runs} runs per row after ${warmup} warm-up runs; 1-min load average ${loadavg()[0]!.toFixed(2)} on a ${availableParallelism()}-core box`,
  );
  console.log(`  ranker: ${r.candidates} candidates × ${r.features} features, ${r.trees} trees × ${r.leaves} leaves (seeded random ensemble)`);
  console.log(
    `  retrieval: fold-in of a ${q.history}-item history (PCG) + scores over all items + TopK ${q.k} + the scores of ${q.scored} other candidates gathered; ${q.factors} factors, λ = ${q.regularization}, α = ${q.alpha}`,
  );
  const resolution = edge.clock.resolutionMs === null ? "" : `, ${edge.clock.resolutionMs} ms clock`;
  const primaryLabel = edge.method === "inside" ? `workerd, in-worker clock${resolution}` : "workerd, HTTP per run − paired noop p50";
  console.log(`\nLatency (ms)`);
  const rows: string[][] = [];
  for (const t of targets) {
    const lines: [string, Stats | undefined][] = [];
    if (edge.inside) lines.push([primaryLabel, edge.inside.get(t.key)]);
    lines.push([edge.method === "http" ? primaryLabel : "workerd, HTTP per run − paired noop p50", edge.httpNet.get(t.key)]);
    lines.push(["workerd, HTTP per run, raw", edge.httpRaw.get(t.key)]);
    lines.push(["onnxruntime-node, 1 thread", node.get(t.key)?.stats]);
    lines.forEach(([label, s], i) => {
      rows.push([i === 0 ? t.name : "", label, ...(s ? [s.p50, s.p95, s.p99, s.max, s.mean].map(ms) : ["–", "–", "–", "–", "–"])]);
    });
  }
  rows.push(["empty endpoint", "HTTP round trip, before the runs", ...[edge.noop.p50, edge.noop.p95, edge.noop.p99, edge.noop.max, edge.noop.mean].map(ms)]);
  table(["target", "runtime / method", "p50", "p95", "p99", "max", "mean"], rows, [false, false, true, true, true, true, true]);

  console.log(`\nMemory of the workerd process running the worker (pid ${edge.workerd.runtime}; MiB; models stay loaded, Δ = what the step added)`);
  const memRows: string[][] = [];
  edge.memory.forEach((m, i) => {
    const prev = i > 0 ? edge.memory[i - 1]! : null;
    const nodeKey = targets.find((t) => m.stage === `+ ${t.name} loaded`)?.key;
    memRows.push([
      m.stage,
      mib(m.modelBytes),
      mib(m.rss),
      prev ? mib(m.rss - prev.rss) : "",
      mib(m.hwm),
      mib(m.wasmHeap),
      prev && m.wasmHeap !== null && prev.wasmHeap !== null ? mib(m.wasmHeap - prev.wasmHeap) : "",
      nodeKey ? mib(node.get(nodeKey)?.rssGrowth) : "",
    ]);
  });
  table(["stage", "model", "VmRSS", "Δ RSS", "VmHWM", "WASM heap", "Δ heap", "node Δ RSS"], memRows, [false, true, true, true, true, true, true, true]);

  console.log(`\nEach model alone in a fresh isolate (a new wrangler dev per row; MiB): the active version's cost`);
  const freshRows = targets.map((t) => {
    const f = fresh.get(t.key)!;
    const loading = f.wasmHeap === null ? null : f.wasmHeap + f.modelBytes;
    return [t.name, mib(f.modelBytes), mib(f.rssGrowth), mib(f.hwm), mib(f.wasmHeap), mib(loading)];
  });
  table(["model", "graph", "Δ RSS from runtime start", "VmHWM", "WASM heap", "heap + graph bytes"], freshRows, [false, true, true, true, true, true]);
  console.log(`  Δ RSS includes the graph building's garbage (factors, transpose, bytes) that V8 had not collected yet;`);
  console.log(
    `  the WASM heap (onnxruntime's memory, incl. its ${mib(edge.memory.find((m) => m.stage === "onnxruntime-web started")?.wasmHeap)} MiB start) never shrinks; while a session is created`,
  );
  console.log(`  the edge also holds the graph bytes read from R2, hence "heap + graph bytes" as the least an isolate needs to load it.`);

  console.log(`\nConsistency (same graph bytes, same answers in both runtimes)`);
  for (const t of targets) {
    const e = edge.loads.get(t.key)!;
    const n = node.get(t.key)!;
    const same = sameFirst(e.first, n.first, t.items !== undefined);
    console.log(
      `  ${t.name.padEnd(24)} sha256 ${e.sha256 === n.sha256 ? "identical" : "DIFFERENT"} (${e.sha256.slice(0, 12)}…), ${t.items === undefined ? "first 5 scores" : "top 10 indices"} ${same ? "equal" : "DIFFER"}`,
    );
  }

  const c = edge.clock;
  console.log(
    `\nTiming method: ${edge.method === "inside" ? "inside the worker (performance.now() around each run)" : "one HTTP request per run, minus the median of the empty requests paired with them"}`,
  );
  console.log(
    `  clock check: a ${c.wallMs.toFixed(0)} ms request saw performance.now() advance ${c.before.sync.perfMs} ms over sync work and ` +
      `${c.before.microtasks.perfMs} ms over awaited work; 50 ranker runs: ${c.withOrt.ort?.perfMs ?? "–"} ms` +
      (c.resolutionMs === null
        ? ""
        : `; readings are whole milliseconds (resolution ${c.resolutionMs} ms), so in-worker percentiles are coarse and the HTTP rows are the fine-grained cross-check`),
  );

  console.log(`\nVerdicts`);
  const verdict = (label: string, key: string, target: number) => {
    const primary = edge.inside?.get(key) ?? edge.httpNet.get(key);
    const net = edge.httpNet.get(key);
    const nodeStats = node.get(key)?.stats;
    if (!primary) return console.log(`  ${label}: not measured (not in --sizes)`);
    const ok = primary.p99 <= target;
    console.log(
      `  ${label}: ${ok ? "MET" : "MISSED"} — workerd p99 ${ms(primary.p99)} ms (${edge.method === "inside" ? "in-worker clock" : "HTTP net"}; ` +
        `${edge.method === "inside" && net ? `HTTP net p99 ${ms(net.p99)} ms, ` : ""}mean ${ms(primary.mean)} ms) vs target ≤ ${target} ms; ` +
        `onnxruntime-node p99 ${ms(nodeStats?.p99 ?? NaN)} ms`,
    );
  };
  verdict(`ranker ${r.candidates}×${r.features}, ${r.trees} trees`, "ranker", RANKER_TARGET_MS);
  verdict(`retrieval over ${itemsLabel(RETRIEVAL_TARGET_ITEMS)} items`, `retrieval/${RETRIEVAL_TARGET_ITEMS}`, RETRIEVAL_TARGET_MS);
  for (const t of targets) {
    const f = fresh.get(t.key)!;
    const seq = edge.memory.find((m) => m.stage === `+ ${t.name} loaded`);
    const loading = f.wasmHeap === null ? null : f.wasmHeap + f.modelBytes;
    const fits = (bytes: number) => (bytes / 2 ** 20 > WORKERS_MEMORY_LIMIT_MIB ? "OVER" : "within");
    console.log(
      `  memory, ${t.name} (${mib(f.modelBytes)} MiB graph): isolate memory used by the active version: ` +
        `${mib(f.wasmHeap)} MiB WASM heap alone (${mib(loading)} MiB with the graph bytes while loading), ` +
        `workerd RSS ${signedMib(f.rssGrowth)} MiB incl. build garbage` +
        (seq ? `; RSS ${signedMib(seq.rss - (edge.memory[edge.memory.indexOf(seq) - 1]?.rss ?? NaN))} MiB in the shared isolate` : "") +
        (f.wasmHeap === null || loading === null
          ? ""
          : ` — ${fits(f.wasmHeap)} the ${WORKERS_MEMORY_LIMIT_MIB} MB production isolate limit once loaded, ${fits(loading)} it while loading`),
    );
  }
}

// ─────────────────────────────── main ───────────────────────────────

async function main(): Promise<void> {
  const targets: Target[] = [
    ...sizes.map((n) => ({ name: `retrieval ${itemsLabel(n)} items`, key: `retrieval/${n}`, path: `/retrieval?items=${n}`, items: n })),
    { name: "ranker", key: "ranker", path: "/ranker" },
  ];
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping`);
    void (stopCurrent ? stopCurrent() : Promise.resolve()).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const edge = await edgeSide(targets);
  const fresh = await freshIsolates(targets);
  const sessions: ort.InferenceSession[] = [];
  try {
    const node = await nodeSide(targets, sessions);
    report(targets, edge, fresh, node);
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
