/** The stack the serving benchmarks run against: EDGE_URL and RECS_KEY, else their own with the demo data and a trained model. */
import { DEFAULT_DEMO_SEED, generateDemoData } from "../backend/demo/generate-demo-data.js";
import { startIsolatedStack, type IsolatedStack } from "../scripts/isolated-stack.js";
import { loadDemoAndWait, trainFirstModel } from "../scripts/stack-readiness.js";
import { argChoice, argNumber, benchDataRoot } from "./load-stats.js";
import { itemsPerClusterFor, publishWideVersion } from "./wide-candidates.js";

export interface BenchTarget {
  url: string;
  key: string;
  /** null when EDGE_URL and RECS_KEY named a running stack. */
  stack: IsolatedStack | null;
  /** How the edge runs, for the table's title. */
  edgeName: string;
}

/** `--edge wrangler`: under `wrangler dev`, as `npm start` runs it; `--edge direct`: workerd through Miniflare, no dev proxy (scripts/edge-direct.ts). */
export const edgeRunner = argChoice("edge", ["wrangler", "direct"] as const, "wrangler");

/** `--candidates N`: a bigger demo catalog and a version ranking at least N candidates a list (bench/wide-candidates.ts). */
export const wideCandidates = process.argv.includes("--candidates") ? argNumber("candidates", 1) : null;

export async function benchTarget(portBase: number, redisDb: number): Promise<BenchTarget> {
  if (process.env.EDGE_URL && process.env.RECS_KEY) return { url: process.env.EDGE_URL, key: process.env.RECS_KEY, stack: null, edgeName: "" };
  const dataRoot = benchDataRoot();
  console.log(`starting an isolated local stack (data folder on ${dataRoot ?? "the temporary folder's disk"}) and loading the demo data (about a minute)…`);
  const stack = await startIsolatedStack(portBase, redisDb, undefined, { edgeRunner, ...(dataRoot ? { dataRoot } : {}) });
  const demo = wideCandidates ? generateDemoData(DEFAULT_DEMO_SEED, { itemsPerCluster: itemsPerClusterFor(wideCandidates) }) : generateDemoData();
  await loadDemoAndWait(stack, demo, (l) => console.log(`  ${l}`));
  if (wideCandidates) await publishWideVersion(stack, wideCandidates, (l) => console.log(`  ${l}`));
  else if (!process.argv.includes("--heuristic")) await trainFirstModel(stack, (l) => console.log(`  train: ${l}`));
  const edgeName = edgeRunner === "direct" ? "edge in workerd directly" : "edge under wrangler dev";
  return { url: stack.edgeUrl, key: stack.secrets.clientKey, stack, edgeName };
}
