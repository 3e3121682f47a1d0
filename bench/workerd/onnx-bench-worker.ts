/// <reference path="../../worker/onnx/wasm-modules.d.ts" />
/**
 * The workerd side of `npm run bench:onnx` (driver: bench/edge-onnx.ts). It starts
 * onnxruntime-web exactly as the edge does (worker/onnx/ort-runtime.ts: precompiled .wasm,
 * one thread, one session per key per isolate) and builds its graphs itself from the
 * seeded set-up in bench/random-ensemble.ts, so the driver uploads nothing and runs
 * byte-identical graphs under onnxruntime-node.
 *
 *   GET /noop                                   empty answer (HTTP overhead baseline)
 *   GET /runtime                                start onnxruntime-web → {wasmHeapBytes}
 *   GET /clock?iterations=                      does performance.now() advance during CPU work?
 *   GET /load?model=ranker|retrieval&items=     build + create the session + one run
 *   GET /ranker?runs=&warmup=&time=inside|none  score the candidates `runs` times
 *   GET /retrieval?items=&runs=&warmup=&time=   fold in the history and retrieve, `runs` times
 *
 * Every answer carries `x-bench-isolate`, an id of the isolate that served it.
 * time=inside returns per-run samples from performance.now(); time=none only runs (the
 * driver then times one request per run). Every run builds its input tensors and reads
 * every output, as worker/models/inference.ts does per request.
 */
import {
  HISTORY_ITEMS,
  HISTORY_STRENGTH,
  ITEM_SCORES,
  RETRIEVAL_INDICES,
  RETRIEVAL_SCORES,
  SCORE_ITEMS,
  USER_VECTOR,
} from "../../models/onnx/retrieval-graph.js";
import { RANKER_INPUT, RANKER_OUTPUT } from "../../models/onnx/ranker-graph.js";
import { ensureOrtRuntime, getSession, Tensor, type InferenceSession } from "../../worker/onnx/ort-runtime.js";
import { benchRanker, benchRetrieval } from "../random-ensemble.js";

declare global {
  // Only the root tsconfig type-checks this file (it includes bench/**), with Node's
  // types alone, which unlike lib.dom or @cloudflare/workers-types declare no WebAssembly
  // API; importing ort-runtime.ts brings that file into the program too, so declare the
  // members the two use. (Under workers-types these would clash: that is not a program
  // this file is part of.)
  namespace WebAssembly {
    interface Module {}
    interface Instance {}
    interface Memory {
      readonly buffer: ArrayBuffer;
    }
    type Imports = Record<string, Record<string, unknown>>;
    function instantiate(module: Module, imports?: Imports): Promise<Instance>;
  }
}

interface Loaded {
  session: InferenceSession;
  run: () => Promise<number[]>; // returns the first few result values (a consistency check)
  bytes: number;
  sha256: string;
}

const loaded = new Map<string, Loaded>();

/** The runtime's WebAssembly.Memory, found while it is instantiated, to report the WASM heap. */
let wasmMemory: WebAssembly.Memory | undefined;

function findMemory(value: unknown, depth = 0): WebAssembly.Memory | undefined {
  if (value instanceof (Reflect.get(WebAssembly, "Memory") as new () => WebAssembly.Memory)) return value;
  if (depth > 2 || value === null || typeof value !== "object") return undefined;
  for (const v of Object.values(value as Record<string, unknown>)) {
    const m = findMemory(v, depth + 1);
    if (m) return m;
  }
  return undefined;
}

async function startRuntime(): Promise<void> {
  if (wasmMemory) return;
  // ort-runtime wraps WebAssembly.instantiate during start-up and calls what it found
  // there; putting this observer underneath lets us see the instance without touching it.
  const original = WebAssembly.instantiate;
  Reflect.set(WebAssembly, "instantiate", async (...args: unknown[]) => {
    const result = (await Reflect.apply(original, WebAssembly, args)) as unknown;
    const isInstance = result instanceof (Reflect.get(WebAssembly, "Instance") as new () => WebAssembly.Instance);
    const instance = isInstance ? (result as WebAssembly.Instance) : (result as { instance?: WebAssembly.Instance }).instance;
    wasmMemory ??= findMemory(instance && Reflect.get(instance, "exports")) ?? findMemory(args[1]);
    return result;
  });
  try {
    await ensureOrtRuntime();
  } finally {
    Reflect.set(WebAssembly, "instantiate", original);
  }
}

const heapBytes = (): number | null => wasmMemory?.buffer.byteLength ?? null;

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The session for `key` plus a run closure over its inputs. Built in a helper so the
 * graph bytes are not captured by the run closure's scope: after session creation only
 * onnxruntime's copy remains, as in the edge.
 */
async function create(key: string, bytes: Uint8Array): Promise<{ session: InferenceSession; bytes: number; sha256: string }> {
  const hash = await sha256(bytes);
  return { session: await getSession(key, () => bytes), bytes: bytes.length, sha256: hash };
}

function rankerRun(session: InferenceSession, features: Float32Array, dims: readonly number[]): () => Promise<number[]> {
  return async () => {
    const out = await session.run({ [RANKER_INPUT]: new Tensor("float32", features, dims) });
    const scores = out[RANKER_OUTPUT]!.data as Float32Array;
    if (scores.length !== dims[0]) throw new Error(`ranker returned ${scores.length} scores for ${dims[0]} rows`);
    return Array.from(scores.subarray(0, 5));
  };
}

function retrievalRun(session: InferenceSession, h: { items: BigInt64Array; strength: Float32Array }, scored: BigInt64Array): () => Promise<number[]> {
  return async () => {
    const out = await session.run({
      [HISTORY_ITEMS]: new Tensor("int64", h.items, [h.items.length]),
      [HISTORY_STRENGTH]: new Tensor("float32", h.strength, [h.strength.length]),
      [SCORE_ITEMS]: new Tensor("int64", scored, [scored.length]),
    });
    // Read every output as worker/models/inference.ts `retrieve` does.
    const indices = Array.from(out[RETRIEVAL_INDICES]!.data as BigInt64Array, Number);
    Array.from(out[RETRIEVAL_SCORES]!.data as Float32Array);
    const gathered = out[ITEM_SCORES]!.data as Float32Array;
    const user = out[USER_VECTOR]!.data as Float32Array;
    if (gathered.length !== scored.length || user.length === 0) throw new Error("unexpected output sizes");
    return indices.slice(0, 10);
  };
}

async function build(key: string): Promise<Loaded> {
  await startRuntime();
  if (key === "ranker") {
    const { bytes, features, dims } = benchRanker();
    const made = await create(key, bytes);
    return { ...made, run: rankerRun(made.session, features, dims) };
  }
  const items = Number(key.slice("retrieval/".length));
  const { bytes, history, scored } = benchRetrieval(items);
  const made = await create(key, bytes);
  return { ...made, run: retrievalRun(made.session, history, scored) };
}

async function load(key: string): Promise<Loaded> {
  const have = loaded.get(key);
  if (have) return have;
  const entry = await build(key);
  loaded.set(key, entry);
  return entry;
}

function positive(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  const n = raw === null ? fallback : Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return n;
}

async function runMany(entry: Loaded, url: URL): Promise<Response> {
  const runs = positive(url, "runs", 1);
  const warmup = positive(url, "warmup", 0);
  const inside = url.searchParams.get("time") === "inside";
  for (let i = 0; i < warmup; i++) await entry.run();
  const samples: number[] = [];
  let first: number[] = [];
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const t = inside ? performance.now() : 0;
    const result = await entry.run();
    if (inside) samples.push(performance.now() - t);
    if (i === 0) first = result;
  }
  // One span over all runs: its mean is not limited by the clock's resolution.
  const totalMs = performance.now() - start;
  return Response.json({ runs, samples: inside ? samples : null, totalMs: inside ? totalMs : null, first });
}

/** Busy work the optimiser cannot drop. */
function spin(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x * 1103515245 + 12345 + i) % 2147483647;
  return x;
}

async function clock(url: URL): Promise<Response> {
  const iterations = positive(url, "iterations", 20_000_000);
  let p = performance.now();
  let d = Date.now();
  const sink = spin(iterations);
  const sync = { perfMs: performance.now() - p, dateMs: Date.now() - d };
  p = performance.now();
  d = Date.now();
  let acc = 0;
  for (let i = 0; i < 20; i++) {
    await Promise.resolve();
    acc += spin(iterations / 20);
  }
  const microtasks = { perfMs: performance.now() - p, dateMs: Date.now() - d };
  let ort: { perfMs: number; dateMs: number; runs: number } | null = null;
  const ranker = loaded.get("ranker");
  if (ranker) {
    p = performance.now();
    d = Date.now();
    for (let i = 0; i < 50; i++) await ranker.run();
    ort = { perfMs: performance.now() - p, dateMs: Date.now() - d, runs: 50 };
  }
  return Response.json({ iterations, sync, microtasks, ort, sink: sink + acc });
}

async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  switch (url.pathname) {
    case "/noop":
      return new Response("ok");
    case "/runtime":
      await startRuntime();
      return Response.json({ wasmHeapBytes: heapBytes() });
    case "/clock":
      return clock(url);
    case "/load": {
      const model = url.searchParams.get("model");
      const key = model === "ranker" ? "ranker" : model === "retrieval" ? `retrieval/${positive(url, "items", 0)}` : null;
      if (key === null) return Response.json({ error: "model must be ranker or retrieval" }, { status: 400 });
      const entry = await load(key);
      const first = await entry.run();
      return Response.json({ key, bytes: entry.bytes, sha256: entry.sha256, first, wasmHeapBytes: heapBytes() });
    }
    case "/ranker":
      return runMany(await load("ranker"), url);
    case "/retrieval":
      return runMany(await load(`retrieval/${positive(url, "items", 0)}`), url);
    default:
      return Response.json({ error: "not found" }, { status: 404 });
  }
}

/**
 * Names this isolate in every answer. wrangler dev rebuilds and restarts the worker when
 * a source file changes (other work in the repository may touch models/), which would
 * silently drop the loaded models; the driver compares this id across answers.
 */
let isolateId: string | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    isolateId ??= crypto.randomUUID(); // not at module scope: Workers refuse randomness there
    try {
      const res = await handle(request);
      res.headers.set("x-bench-isolate", isolateId);
      return res;
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return Response.json({ error: message }, { status: 500, headers: { "x-bench-isolate": isolateId } });
    }
  },
};
