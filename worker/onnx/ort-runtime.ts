/**
 * onnxruntime-web inside workerd: one runtime and one session per model key per isolate.
 *
 * Why this file exists: Workers forbid compiling WebAssembly from bytes at run time, so
 * onnxruntime-web's normal start-up (fetch the .wasm next to the script, compile it) cannot
 * work. The .wasm is instead imported as a module (wrangler's CompiledWasm rule, applied by
 * default to `*.wasm`), which gives an already compiled `WebAssembly.Module`, and that is
 * what the runtime must be instantiated from.
 *
 * How it is handed over: onnxruntime-web 1.30 builds the Emscripten config itself and only
 * forwards `numThreads`, `wasmBinary` and `locateFile` to it, so Emscripten's own
 * `instantiateWasm` hook is out of reach. With `env.wasm.wasmBinary` set, the glue skips
 * every fetch and calls `WebAssembly.instantiate(bytes, imports)` exactly once. We set
 * wasmBinary to a small marker and, for the duration of that one initialisation, wrap
 * `WebAssembly.instantiate` so a call carrying the marker is answered with an instance of
 * the precompiled module; any other call goes to the original untouched.
 *
 * Which build: `onnxruntime-web/wasm` resolves to `ort.wasm.bundle.min.mjs`, whose
 * Emscripten glue is embedded (the non-bundle build dynamic-imports it by URL, which
 * workerd cannot do) and whose binary is `ort-wasm-simd-threaded.wasm` (CPU only, no
 * WebGPU/JSEP). Threads need Web Workers, which workerd does not have: numThreads = 1,
 * proxy off. Size: `wrangler deploy --dry-run` of a worker using this file uploads
 * 14,025 KiB (3,642 KiB gzip), almost all of it the .wasm: above the Workers Free script
 * limit (3 MB gzip), inside the Paid one (10 MB). First use in an isolate costs about half
 * a second (instantiation + session creation, measured under `wrangler dev`); later runs
 * of a small graph take about 2 ms per request end to end.
 */
import * as ort from "onnxruntime-web/wasm";
import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import { encodeModel, TensorDataType } from "../../models/onnx/onnx-model.js";

export type { InferenceSession } from "onnxruntime-web/wasm";
export { Tensor } from "onnxruntime-web/wasm";

/** Bytes no real WebAssembly binary starts with (no "\0asm" magic). */
const MARKER = new TextEncoder().encode("edge-recs:precompiled-ort-wasm");

function isMarker(source: unknown): boolean {
  let bytes: Uint8Array;
  if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else if (ArrayBuffer.isView(source)) bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  else return false;
  return bytes.length === MARKER.length && bytes.every((b, i) => b === MARKER[i]);
}

/** A one-node Identity model: creating a session from it is what initialises the runtime. */
function warmUpModel(): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opset: 17,
    producerName: "edge-recs",
    graph: {
      name: "warm_up",
      nodes: [{ opType: "Identity", inputs: ["x"], outputs: ["y"] }],
      initializers: [],
      inputs: [{ name: "x", elemType: TensorDataType.FLOAT, shape: [1] }],
      outputs: [{ name: "y", elemType: TensorDataType.FLOAT, shape: [1] }],
    },
  });
}

async function initialise(compiled: WebAssembly.Module): Promise<void> {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = MARKER;
  const original = WebAssembly.instantiate;
  // Reflect.set because the Workers typings declare only instantiate(Module): the
  // replacement must also answer the (bytes, imports) form the Emscripten glue uses,
  // returning { instance, module } as the bytes form does.
  Reflect.set(WebAssembly, "instantiate", async (source: unknown, imports?: WebAssembly.Imports) => {
    if (!isMarker(source)) return Reflect.apply(original, WebAssembly, [source, imports]) as unknown;
    const instance = await original(compiled, imports);
    return { instance, module: compiled };
  });
  try {
    const session = await ort.InferenceSession.create(warmUpModel(), { executionProviders: ["wasm"] });
    await session.release();
  } finally {
    Reflect.set(WebAssembly, "instantiate", original);
  }
}

let runtime: Promise<void> | undefined;

/**
 * Initialises onnxruntime-web once per isolate. A failed start is not cached, so the
 * next request retries instead of the isolate being stuck without a ranker.
 */
export function ensureOrtRuntime(compiled: WebAssembly.Module = ortWasm): Promise<void> {
  runtime ??= initialise(compiled).catch((err: unknown) => {
    runtime = undefined;
    throw err;
  });
  return runtime;
}

/**
 * Memory matters more than the last microsecond in a 128 MB isolate: MatMul weight
 * pre-packing keeps a second copy of every item matrix, and the CPU arena keeps freed
 * blocks, so both are off.
 */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ["wasm"],
  graphOptimizationLevel: "all",
  enableCpuMemArena: false,
  extra: { session: { disable_prepacking: "1" } },
};

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/**
 * The session for `key` (e.g. "<model version>/retrieval"), created from `load()` on first
 * use and shared by every later request in this isolate. Concurrent first requests share
 * one creation; a failed creation is forgotten so it can be retried.
 */
export function getSession(key: string, load: () => Promise<Uint8Array> | Uint8Array): Promise<ort.InferenceSession> {
  let session = sessions.get(key);
  if (!session) {
    session = (async () => {
      await ensureOrtRuntime();
      return ort.InferenceSession.create(await load(), SESSION_OPTIONS);
    })();
    sessions.set(key, session);
    session.catch(() => {
      if (sessions.get(key) === session) sessions.delete(key);
    });
  }
  return session;
}

/**
 * Forgets and releases the session for `key` (a retired model version). New callers get a
 * fresh session; the caller must only drop a key once no in-flight request still uses it,
 * because release frees the session's WASM memory immediately.
 */
export async function dropSession(key: string): Promise<void> {
  const session = sessions.get(key);
  if (!session) return;
  sessions.delete(key);
  await (await session).release();
}
