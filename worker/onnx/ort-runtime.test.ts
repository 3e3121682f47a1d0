/**
 * The edge ONNX path end to end inside workerd: onnxruntime-web instantiated from the
 * precompiled .wasm module, running a retrieval graph built by the shared builder, with
 * the same hand-computed answer the onnxruntime-node test checks.
 */
import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import { describe, expect, it } from "vitest";
import { buildRetrievalGraph, RETRIEVAL_INDICES, RETRIEVAL_INPUT, RETRIEVAL_SCORES } from "../../models/onnx/retrieval-graph.js";
import { dropSession, getSession, Tensor } from "./ort-runtime.js";

// 5 items × 3 factors, row-major; user [2, 1, 0.5] scores them [2, 1, 0.5, 3, 1.5].
const ITEMS = Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0.5, -1, 3);
const USER = Float32Array.of(2, 1, 0.5);

describe("onnxruntime-web in workerd", () => {
  it("gets the runtime as a compiled module, since compiling from bytes is refused here", async () => {
    // If this environment ever allowed it, the test below would no longer prove the edge path.
    expect(ortWasm).toBeInstanceOf(WebAssembly.Module);
    // compile() is absent from the Workers typings precisely because Workers refuse it.
    const compile = Reflect.get(WebAssembly, "compile") as (bytes: Uint8Array) => Promise<unknown>;
    await expect(compile(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0))).rejects.toThrow(/disallowed by embedder/);
  });

  it("runs the retrieval graph and returns the hand-computed top-2", async () => {
    const session = await getSession("test/retrieval", () => buildRetrievalGraph(ITEMS, 5, 3, 2));
    const out = await session.run({ [RETRIEVAL_INPUT]: new Tensor("float32", USER, [1, 3]) });
    const scores = out[RETRIEVAL_SCORES]!;
    const indices = out[RETRIEVAL_INDICES]!;
    expect(scores.dims).toEqual([1, 2]);
    expect([...(scores.data as Float32Array)]).toEqual([3, 2]);
    expect(indices.type).toBe("int64");
    expect([...(indices.data as BigInt64Array)].map(Number)).toEqual([3, 0]);
    // The start-up shim is gone once the runtime is up.
    expect(WebAssembly.instantiate.name).toBe("instantiate");
  });

  it("reuses the session per key and creates a fresh one after it is dropped", async () => {
    let loads = 0;
    const load = () => {
      loads++;
      return buildRetrievalGraph(ITEMS, 5, 3, 5);
    };
    const [a, b] = await Promise.all([getSession("test/all", load), getSession("test/all", load)]);
    expect(a).toBe(b);
    expect(loads).toBe(1);
    const out = await a.run({ [RETRIEVAL_INPUT]: new Tensor("float32", USER, [1, 3]) });
    expect([...(out[RETRIEVAL_INDICES]!.data as BigInt64Array)].map(Number)).toEqual([3, 0, 4, 1, 2]);
    await dropSession("test/all");
    const c = await getSession("test/all", load);
    expect(c).not.toBe(a);
    expect(loads).toBe(2);
  });
});
