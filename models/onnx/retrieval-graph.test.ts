/**
 * The hand-written ONNX encoder and the retrieval graph, checked against the real
 * runtime the backend uses (onnxruntime-node): if our bytes are malformed or the graph
 * means something else than intended, onnxruntime rejects it or returns other numbers.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { encodeModel, TensorDataType } from "./onnx-model.js";
import { ProtoWriter } from "./protobuf-writer.js";
import { mulberry32 as rng } from "../../backend/evaluation/synthetic.js";
import { buildRetrievalGraph, RETRIEVAL_INDICES, RETRIEVAL_INPUT, RETRIEVAL_SCORES } from "./retrieval-graph.js";

async function retrieve(model: Uint8Array, user: Float32Array): Promise<{ scores: number[]; indices: number[] }> {
  const session = await ort.InferenceSession.create(model);
  try {
    const out = await session.run({ [RETRIEVAL_INPUT]: new ort.Tensor("float32", user, [1, user.length]) });
    const scores = out[RETRIEVAL_SCORES]!;
    const indices = out[RETRIEVAL_INDICES]!;
    expect(scores.type).toBe("float32");
    expect(indices.type).toBe("int64");
    return { scores: [...(scores.data as Float32Array)], indices: [...(indices.data as BigInt64Array)].map(Number) };
  } finally {
    await session.release();
  }
}

describe("ProtoWriter", () => {
  it("encodes varints as protobuf does, negative int64 as 10-byte two's complement", () => {
    expect([...new ProtoWriter().varint(1, 300).finish()]).toEqual([0x08, 0xac, 0x02]);
    expect([...new ProtoWriter().varint(1, -1).finish()]).toEqual([0x08, ...Array(9).fill(0xff), 0x01]);
    expect([...new ProtoWriter().varint(2, 2 ** 40).finish()]).toEqual([0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    expect([...new ProtoWriter().string(3, "hi").finish()]).toEqual([0x1a, 2, 0x68, 0x69]);
    expect([...new ProtoWriter().float(4, 1).finish()]).toEqual([0x25, 0, 0, 0x80, 0x3f]);
  });
});

describe("encodeModel", () => {
  it("writes symbolic dims and float/int attributes that onnxruntime honours", async () => {
    // Gemm: Y = alpha * X · Bᵀ, with a symbolic batch dimension.
    const model = encodeModel({
      irVersion: 8,
      opset: 17,
      producerName: "test",
      graph: {
        name: "gemm",
        nodes: [
          {
            opType: "Gemm",
            inputs: ["x", "b"],
            outputs: ["y"],
            attributes: { alpha: { kind: "float", value: 0.5 }, transB: { kind: "int", value: 1 } },
          },
        ],
        initializers: [{ name: "b", dataType: TensorDataType.FLOAT, dims: [3, 2], data: Float32Array.of(1, 0, 0, 1, 1, 1) }],
        inputs: [{ name: "x", elemType: TensorDataType.FLOAT, shape: ["batch", 2] }],
        outputs: [{ name: "y", elemType: TensorDataType.FLOAT, shape: ["batch", 3] }],
      },
    });
    const session = await ort.InferenceSession.create(model);
    expect(session.inputMetadata[0]).toMatchObject({ name: "x", isTensor: true, shape: ["batch", 2] });
    const out = await session.run({ x: new ort.Tensor("float32", Float32Array.of(2, 4, 6, 8), [2, 2]) });
    expect(out.y!.dims).toEqual([2, 3]);
    expect([...(out.y!.data as Float32Array)]).toEqual([1, 2, 3, 3, 4, 7]);
    await session.release();
  });
});

describe("buildRetrievalGraph", () => {
  // 5 items × 3 factors, row-major. With user [2, 1, 0.5]:
  // scores = [2, 1, 0.5, 3, 1.5] → top-2 = item 3 (3), item 0 (2).
  const items = Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0.5, -1, 3);
  const user = Float32Array.of(2, 1, 0.5);

  it("returns the hand-computed top-2 with their scores", async () => {
    const got = await retrieve(buildRetrievalGraph(items, 5, 3, 2), user);
    expect(got.indices).toEqual([3, 0]);
    expect(got.scores).toEqual([3, 2]);
  });

  it("ranks the whole catalog when k = items", async () => {
    const got = await retrieve(buildRetrievalGraph(items, 5, 3, 5), user);
    expect(got.indices).toEqual([3, 0, 4, 1, 2]);
    expect(got.scores).toEqual([3, 2, 1.5, 1, 0.5]);
  });

  it("matches a plain dot-product top-k on random data to 1e-5", async () => {
    const rand = rng(42);
    const n = 500;
    const f = 16;
    const k = 20;
    const factors = Float32Array.from({ length: n * f }, () => rand() * 2 - 1);
    const model = buildRetrievalGraph(factors, n, f, k);
    for (let trial = 0; trial < 5; trial++) {
      const u = Float32Array.from({ length: f }, () => rand() * 2 - 1);
      const expected = Array.from({ length: n }, (_, i) => {
        let s = 0;
        for (let j = 0; j < f; j++) s += u[j]! * factors[i * f + j]!;
        return { i, s };
      })
        .sort((a, b) => b.s - a.s)
        .slice(0, k);
      const got = await retrieve(model, u);
      expect(got.indices).toEqual(expected.map((e) => e.i));
      got.scores.forEach((s, r) => expect(Math.abs(s - expected[r]!.s)).toBeLessThanOrEqual(1e-5));
    }
  });

  it("rejects inconsistent shapes, k out of range and non-finite factors", () => {
    expect(() => buildRetrievalGraph(items, 5, 2, 2)).toThrow(/expected items × factors/);
    expect(() => buildRetrievalGraph(items, 5, 3, 6)).toThrow(/must not exceed/);
    expect(() => buildRetrievalGraph(items, 5, 3, 0)).toThrow(/positive integer/);
    expect(() => buildRetrievalGraph(Float32Array.of(1, Number.NaN), 1, 2, 1)).toThrow(/not finite/);
  });
});
