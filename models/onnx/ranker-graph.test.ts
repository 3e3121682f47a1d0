/**
 * The ranker graph in the runtimes that serve it: onnxruntime-node (backend) and
 * onnxruntime-web's wasm build (the edge), against hand-computed scores and against
 * the trainer's reference `predict`, including rows sitting exactly on thresholds.
 */
import * as ort from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../backend/evaluation/synthetic.js";
import { fitLambdaMart, isLeaf, predict, type RankingDataset, type TreeEnsemble } from "../../backend/training/lambdamart.js";
import { buildRankerGraph, RANKER_INPUT, RANKER_OUTPUT, treeEnsembleAttributes } from "./ranker-graph.js";

ortWeb.env.wasm.numThreads = 1;

type Runtime = typeof ort | typeof ortWeb;

async function score(runtime: Runtime, model: Uint8Array, x: Float32Array, featureCount: number): Promise<Float32Array> {
  const rows = x.length / featureCount;
  const session = await runtime.InferenceSession.create(model);
  try {
    const out = await session.run({ [RANKER_INPUT]: new runtime.Tensor("float32", x, [rows, featureCount]) });
    const scores = out[RANKER_OUTPUT]!;
    expect(scores.type).toBe("float32");
    expect(scores.dims).toEqual([rows, 1]);
    return scores.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// Tree A: x0 ≤ 0.5 ? 1.5 : (x1 ≤ 2 ? −1 : 0.25).  Tree B: x1 ≤ 0 ? 10 : 20.  Base 0.5.
const handModel: TreeEnsemble = {
  featureCount: 2,
  baseScore: 0.5,
  trees: [
    {
      nodes: [
        { feature: 0, threshold: 0.5, left: 1, right: 2 },
        { value: 1.5 },
        { feature: 1, threshold: 2, left: 3, right: 4 },
        { value: -1 },
        { value: 0.25 },
      ],
    },
    { nodes: [{ feature: 1, threshold: 0, left: 1, right: 2 }, { value: 10 }, { value: 20 }] },
  ],
};
// [0.5, 0]: 0.5 ≤ 0.5 → 1.5; 0 ≤ 0 → 10; + 0.5 = 12.
// [0.75, 2]: right; 2 ≤ 2 → −1; 2 > 0 → 20; + 0.5 = 19.5.
// [1, 3]: right; 3 > 2 → 0.25; 20; + 0.5 = 20.75.
// [0.25, −1]: 1.5; 10; + 0.5 = 12.
// [NaN, 5]: NaN ≤ 0.5 is false → right; 0.25; 20; + 0.5 = 20.75.
const handRows = Float32Array.of(0.5, 0, 0.75, 2, 1, 3, 0.25, -1, Number.NaN, 5);
const handScores = [12, 19.5, 20.75, 12, 20.75];

describe("buildRankerGraph", () => {
  it("emits one attribute entry per node and per leaf, BRANCH_LEQ with left as the true branch", () => {
    const a = treeEnsembleAttributes(handModel);
    expect(a.nodes_modes).toEqual({ kind: "strings", value: ["BRANCH_LEQ", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF"] });
    expect(a.nodes_truenodeids).toEqual({ kind: "ints", value: [1, 0, 3, 0, 0, 1, 0, 0] });
    expect(a.nodes_falsenodeids).toEqual({ kind: "ints", value: [2, 0, 4, 0, 0, 2, 0, 0] });
    expect(a.target_treeids).toEqual({ kind: "ints", value: [0, 0, 0, 1, 1] });
    expect(a.target_nodeids).toEqual({ kind: "ints", value: [1, 3, 4, 1, 2] });
    expect(a.target_weights).toEqual({ kind: "floats", value: [1.5, -1, 0.25, 10, 20] });
  });

  it("gives the hand-computed scores in onnxruntime-node and onnxruntime-web", async () => {
    const bytes = buildRankerGraph(handModel);
    expect([...(await score(ort, bytes, handRows, 2))]).toEqual(handScores);
    expect([...(await score(ortWeb, bytes, handRows, 2))]).toEqual(handScores);
    expect([...predict(handModel, handRows, 2)]).toEqual(handScores);
  });

  it("declares a symbolic candidates dimension and accepts a single-leaf tree", async () => {
    const withStump: TreeEnsemble = { ...handModel, trees: [...handModel.trees, { nodes: [{ value: -0.5 }] }] };
    const bytes = buildRankerGraph(withStump);
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputMetadata[0]).toMatchObject({ name: RANKER_INPUT, isTensor: true, shape: ["candidates", 2] });
    await session.release();
    expect([...(await score(ort, bytes, handRows, 2))]).toEqual(handScores.map((s) => s - 0.5));
    expect([...(await score(ortWeb, bytes, handRows.subarray(0, 2), 2))]).toEqual([11.5]);
  });

  it("rounds a non-float32 threshold to float32, as predict does", async () => {
    // float32(0.1) = 0.100000001490116…; in float64 it is > 0.1, as float32 it is ≤ float32(0.1).
    const m: TreeEnsemble = {
      featureCount: 1,
      baseScore: 0,
      trees: [{ nodes: [{ feature: 0, threshold: 0.1, left: 1, right: 2 }, { value: 1 }, { value: 2 }] }],
    };
    const x = Float32Array.of(0.1, 0.10000001);
    expect([...predict(m, x, 1)]).toEqual([1, 2]);
    expect([...(await score(ort, buildRankerGraph(m), x, 1))]).toEqual([1, 2]);
  });

  it("rejects malformed and empty ensembles", () => {
    expect(() => buildRankerGraph({ ...handModel, trees: [] })).toThrow(/no trees/);
    expect(() => buildRankerGraph({ ...handModel, featureCount: 1 })).toThrow(/out of range/);
    expect(() => buildRankerGraph({ ...handModel, featureNames: ["a"] })).toThrow(/featureNames/);
    expect(() => buildRankerGraph({ ...handModel, baseScore: Number.NaN })).toThrow(/baseScore/);
  });
});

describe("ranker parity: predict, onnxruntime-node, onnxruntime-web", () => {
  const F = 6;

  function randomQueries(seed: number, queries: number, perQuery: number): RankingDataset {
    const rand = mulberry32(seed);
    const rows = queries * perQuery;
    const features = Float32Array.from({ length: rows * F }, () => rand() * 4 - 2);
    const labels = Float32Array.from({ length: rows }, (_, r) => {
      const x = features.subarray(r * F, r * F + F);
      const z = Math.sin(2 * x[0]!) + x[1]! * x[2]! + 0.3 * rand();
      return z > 1.2 ? 3 : z > 0.5 ? 2 : z > 0 ? 1 : 0;
    });
    return { features, featureCount: F, labels, groups: Int32Array.from({ length: queries + 1 }, (_, q) => q * perQuery) };
  }

  /** 2,000 random rows; every third row has one feature set exactly on a threshold, or just above it. */
  function evalRows(model: TreeEnsemble): Float32Array {
    const rand = mulberry32(11);
    const splits = model.trees.flatMap((t) => t.nodes.filter((n) => !isLeaf(n))) as { feature: number; threshold: number }[];
    const x = Float32Array.from({ length: 2000 * F }, () => rand() * 4 - 2);
    for (let r = 0; r < 2000; r += 3) {
      const s = splits[Math.floor(rand() * splits.length)]!;
      const above = new Float32Array([s.threshold]);
      new Int32Array(above.buffer)[0]! += s.threshold >= 0 ? 1 : -1; // the next float32 up
      x[r * F + s.feature] = r % 2 === 0 ? s.threshold : above[0]!;
    }
    return x;
  }

  it("a trained model scores 2,000 rows the same in all three to 1e-5", async () => {
    const model = fitLambdaMart(randomQueries(21, 100, 20), { trees: 50, minRowsInLeaf: 5 });
    expect(model.trees.length).toBe(50);
    const x = evalRows(model);
    const reference = predict(model, x, F);
    const bytes = buildRankerGraph(model);
    const node = await score(ort, bytes, x, F);
    const web = await score(ortWeb, bytes, x, F);
    expect(maxAbsDiff(node, reference)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(web, reference)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(web, node)).toBeLessThanOrEqual(1e-5);
    // The parity must not be trivial: the trees really do spread the scores.
    expect(Math.max(...reference) - Math.min(...reference)).toBeGreaterThan(0.5);
  });
});
