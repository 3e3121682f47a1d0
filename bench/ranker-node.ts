/**
 * LambdaMART ranker benchmark: trains a 100-tree / 15-leaf model (backend/training/
 * lambdamart.ts) on synthetic queries with 12 features, exports it with
 * buildRankerGraph (models/onnx/ranker-graph.ts), and times scoring one request's
 * candidates with onnxruntime-node, onnxruntime-web (wasm, one thread: the edge's
 * configuration) and the pure-JS reference `predict` (per call, and with the ensemble
 * flattened once by `compileEnsemble`).
 *
 *   npx tsx bench/ranker-node.ts [--candidates 1000 --runs 2000 --queries 1000 --per-query 100
 *                                 --trees 100 --leaves 15 --seed 1]
 *
 * Data (seeded): 12 uniform features; relevance 0–3 from a bump in (x0, x1), a linear
 * term in x2 and noise, so trees grow to full size. Latency is per run of all
 * candidates, including building the input tensor; sessions are created once and
 * warmed up first. Also prints training time, the largest score difference between
 * the runtimes, and the model size.
 */
import * as ort from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { mulberry32 } from "../backend/evaluation/synthetic.js";
import { compileEnsemble, fitLambdaMart, predict, predictCompiled, type RankingDataset } from "../backend/training/lambdamart.js";
import { buildRankerGraph, RANKER_INPUT, RANKER_OUTPUT } from "../models/onnx/ranker-graph.js";
import { argNumber, latencySummary, printTable } from "./load-stats.js";

const F = 12;
const candidates = argNumber("candidates", 1000);
const runs = argNumber("runs", 2000);
const queries = argNumber("queries", 1000);
const perQuery = argNumber("per-query", 100);
const trees = argNumber("trees", 100);
const leaves = argNumber("leaves", 15);
const seed = argNumber("seed", 1);
const WARMUP = 100;

function synthetic(rand: () => number, q: number, n: number): RankingDataset {
  const rows = q * n;
  const features = Float32Array.from({ length: rows * F }, () => rand());
  const labels = Float32Array.from({ length: rows }, (_, r) => {
    const x = features.subarray(r * F, r * F + F);
    const z = Math.exp(-((x[0]! - 0.3) ** 2 + (x[1]! - 0.7) ** 2) / 0.08) + 0.3 * x[2]! + 0.2 * rand();
    return z > 1 ? 3 : z > 0.7 ? 2 : z > 0.45 ? 1 : 0;
  });
  return { features, featureCount: F, labels, groups: Int32Array.from({ length: q + 1 }, (_, i) => i * n) };
}

async function time(run: () => Promise<unknown> | unknown): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await run();
    samples.push(performance.now() - t);
  }
  return samples;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function main(): Promise<void> {
  const rand = mulberry32(seed);
  const train = synthetic(rand, queries, perQuery);
  let t = performance.now();
  const model = fitLambdaMart(train, { trees, maxLeaves: leaves, seed });
  const trainSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const bytes = buildRankerGraph(model);
  const exportMs = performance.now() - t;
  const nodes = model.trees.reduce((s, tree) => s + tree.nodes.length, 0);

  const x = Float32Array.from({ length: candidates * F }, () => rand());
  const dims = [candidates, F];
  const nodeDefault = await ort.InferenceSession.create(bytes);
  const nodeOne = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  ortWeb.env.wasm.numThreads = 1;
  const web = await ortWeb.InferenceSession.create(bytes);
  const runNode = async (s: ort.InferenceSession) => (await s.run({ [RANKER_INPUT]: new ort.Tensor("float32", x, dims) }))[RANKER_OUTPUT]!.data as Float32Array;
  const runWeb = async () => (await web.run({ [RANKER_INPUT]: new ortWeb.Tensor("float32", x, dims) }))[RANKER_OUTPUT]!.data as Float32Array;

  const reference = predict(model, x, F);
  const compiled = compileEnsemble(model);
  const diffs = {
    node: maxAbsDiff(await runNode(nodeDefault), reference),
    web: maxAbsDiff(await runWeb(), reference),
  };
  const results = {
    "onnxruntime-node (default threads)": latencySummary(await time(() => runNode(nodeDefault))),
    "onnxruntime-node (1 thread)": latencySummary(await time(() => runNode(nodeOne))),
    "onnxruntime-web wasm (1 thread)": latencySummary(await time(runWeb)),
    "JS predict (incl. compile)": latencySummary(await time(() => predict(model, x, F))),
    "JS predictCompiled (compiled once)": latencySummary(await time(() => predictCompiled(compiled, x, F))),
  };
  await Promise.all([nodeDefault.release(), nodeOne.release(), web.release()]);

  printTable("LambdaMART training", {
    data: `${queries} queries × ${perQuery} rows × ${F} features`,
    trees: `${model.trees.length} (max ${leaves} leaves, ${nodes} nodes)`,
    train: `${trainSeconds.toFixed(2)} s`,
    "export ONNX": `${exportMs.toFixed(1)} ms, ${(bytes.length / 1024).toFixed(1)} KiB`,
    "max |ort-node − predict|": diffs.node.toExponential(2),
    "max |ort-web − predict|": diffs.web.toExponential(2),
  });
  for (const [name, s] of Object.entries(results)) {
    printTable(`score ${candidates} candidates, ${runs} runs: ${name}`, s);
  }
}

await main();
