/**
 * End-to-end quality benchmark: how good are the lists the edge serves, next to the
 * offline figures of the same models on the same split?
 *
 *   npm run bench:quality -- <interactions file> [--protocol random|temporal] [--seed N]
 *                            [--items FILE] [--min-rating R] [--concurrency N] [--offline LIST|none]
 *
 * 1. Reads the file (MovieLens u.data / ratings.csv / ratings.dat, or the UCI Online
 *    Retail CSV) and splits it: protocol R (default) or T, as `npm run evaluate` does.
 * 2. Starts an isolated stack (its own Postgres database, Redis database 12, ports
 *    37787…), upserts the catalog through `POST /api/v1/catalog/items` and imports the
 *    train part through `POST /api/v1/interactions/import`, every interaction a purchase.
 * 3. Trains through `POST /api/v1/recs/train` and waits until the edge serves the version.
 * 4. Reads every test user's list from `GET /v1/recommendations/{user}?limit=10`.
 * 5. Fits the offline models on the same train part and prints both.
 *
 * Ids are sent as the API accepts them (characters outside `A-Za-z0-9._:@|-` become `_`;
 * a collision stops the run) and mapped back before scoring, so the split is exactly the
 * offline one.
 */
import { parseArgs } from "node:util";
import { DEFAULT_EVENT_WEIGHTS } from "../models/events.js";
import { MAX_ITEMS_PER_UPSERT } from "../models/catalog.js";
import type { CatalogItem } from "../models/catalog.js";
import { scoreGroup, type EvaluationSplit, type MetricsRow } from "../backend/evaluation/evaluate.js";
import { evaluateModels, modelIds, standardModels, typicalWeight } from "../backend/evaluation/model-suite.js";
import { PipelineRecommender } from "../backend/evaluation/pipeline-recommender.js";
import type { Interaction } from "../backend/evaluation/interactions.js";
import type { TestUser } from "../backend/evaluation/temporal-split.js";
import { DEFAULT_PIPELINE } from "../backend/training/pipeline.js";
import { detectFormat, readDataset } from "../scripts/evaluate-file.js";
import { authed, startIsolatedStack, type IsolatedStack } from "../scripts/isolated-stack.js";
import { trainAndWait, waitForServedVersion } from "../scripts/stack-readiness.js";
import { percentile } from "./load-stats.js";
import { apiIds } from "./quality-ids.js";

const K = 10;
/** Server-Timing durations per stage, over every list read. */
const stageMs = new Map<string, number[]>();
const IMPORT_CHUNK = 50_000;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    protocol: { type: "string", default: "random" },
    seed: { type: "string", default: "42" },
    items: { type: "string" },
    "min-rating": { type: "string", default: "4" },
    concurrency: { type: "string", default: "8" },
    offline: { type: "string", default: "all" },
    "port-base": { type: "string", default: "37787" },
  },
});

const file = positionals[0];
if (!file || (values.protocol !== "random" && values.protocol !== "temporal")) {
  console.error(
    "usage: npm run bench:quality -- <interactions file> [--protocol random|temporal] [--seed N] [--items FILE] [--concurrency N] [--offline LIST|none]",
  );
  process.exit(2);
}
const protocol = values.protocol;
const offlineIds = values.offline === "none" ? [] : values.offline === "all" ? modelIds() : values.offline.split(",");
const log = (line: string) => process.stderr.write(`[quality] ${line}\n`);
const count = (n: number) => n.toLocaleString("en-US");

const format = await detectFormat(file);
const data = await readDataset(
  { file, format, protocol, seed: Number(values.seed), minRating: Number(values["min-rating"]), ...(values.items ? { items: values.items } : {}) },
  log,
);
const { split } = data;
const ids = apiIds(split.train.flatMap((e) => [e.user_id, e.item_id]).concat([...split.warm, ...split.cold].map((u) => u.user_id)));
const catalog = catalogFor(split, data.catalog);
const testUsers = [...split.warm, ...split.cold];
/** The train part as the backend stores it: purchase weights, identical rows once. */
const asImported: EvaluationSplit = { ...split, train: distinctRows(split.train).map((e) => ({ ...e, weight: DEFAULT_EVENT_WEIGHTS.purchase })) };

function distinctRows(rows: readonly Interaction[]): Interaction[] {
  const seen = new Set<string>();
  return rows.filter((e) => {
    const key = `${e.user_id}\t${e.item_id}\t${e.ts}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const stack = await startIsolatedStack(Number(values["port-base"]), 12, () => {});
let served: { lists: string[][]; latencies: number[]; version: string; sources: Map<string, number>; timings: { import: number; train: number } };
try {
  served = await serve(stack);
} finally {
  await stack.teardown();
}

const rows: MetricsRow[] = [];
for (const [group, users] of [
  ["warm", split.warm],
  ["cold", split.cold],
] as const) {
  if (users.length === 0) continue;
  const offset = group === "warm" ? 0 : split.warm.length;
  rows.push(scoreGroup("served by the edge", group, users, served.lists.slice(offset, offset + users.length), split.catalog, K));
}
const offline = offlineRows(catalog);
report(offline, rows);

function catalogFor(s: EvaluationSplit, described: readonly CatalogItem[] | undefined): CatalogItem[] {
  const byId = new Map((described ?? []).map((c) => [c.item_id, c]));
  const itemIds = [...new Set(s.train.map((e) => e.item_id))].sort();
  return itemIds.map((id) => byId.get(id) ?? { item_id: id, title: `Item ${id}`, tags: [], available: true });
}

async function serve(s: IsolatedStack) {
  const admin = async (path: string, body: string, contentType: string) => {
    const res = await fetch(`${s.backendUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.secrets.adminKey}`, "content-type": contentType },
      body,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  log(`catalog: ${count(catalog.length)} items`);
  for (let i = 0; i < catalog.length; i += MAX_ITEMS_PER_UPSERT) {
    const items = catalog.slice(i, i + MAX_ITEMS_PER_UPSERT).map((c) => ({ ...c, item_id: ids.toApi(c.item_id) }));
    await admin("/api/v1/catalog/items", JSON.stringify({ items }), "application/json");
  }
  const t0 = performance.now();
  let stored = 0;
  let duplicates = 0;
  for (let i = 0; i < split.train.length; i += IMPORT_CHUNK) {
    const lines = split.train
      .slice(i, i + IMPORT_CHUNK)
      .map((e) => JSON.stringify({ user_id: ids.toApi(e.user_id), item_id: ids.toApi(e.item_id), type: "purchase", ts: e.ts }));
    const answer = await admin("/api/v1/interactions/import", `${lines.join("\n")}\n`, "application/x-ndjson");
    stored += Number(answer.stored);
    duplicates += Number(answer.duplicates);
    log(
      `imported ${count(Math.min(split.train.length, i + IMPORT_CHUNK))} / ${count(split.train.length)} rows (${count(stored)} stored, ${count(duplicates)} duplicates)`,
    );
  }
  // Identical rows (same user, item and time: one invoice listing an item twice) are one event.
  if (stored + duplicates !== split.train.length) throw new Error(`the import accounted for ${stored + duplicates} of ${split.train.length} train rows`);
  if (stored !== asImported.train.length) throw new Error(`the import stored ${stored} rows; ${asImported.train.length} distinct were expected`);
  const importSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const version = await trainAndWait(s, { model_type: "pipeline" }, (line) => log(`training: ${line}`), 1_800_000);
  await waitForServedVersion(s, version);
  const trainSeconds = (performance.now() - t1) / 1000;
  const detail = (await (await fetch(`${s.backendUrl}/api/v1/recs/models/${version}`, authed(s.secrets.adminKey))).json()) as {
    params?: { scorer?: unknown; ordering?: unknown };
  };
  log(`trained ${version}: scorer ${JSON.stringify(detail.params?.scorer)}, ordering ${String(detail.params?.ordering)}`);
  log(`serving ${version}; reading ${count(testUsers.length)} lists with ${values.concurrency} parallel requests`);
  const lists: string[][] = new Array(testUsers.length);
  const latencies: number[] = [];
  const sources = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < testUsers.length) {
      const i = next++;
      lists[i] = await readList(s, testUsers[i]!, latencies, sources, version);
      if (i > 0 && i % 1000 === 0) log(`read ${count(i)} lists`);
    }
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
  return { lists, latencies, version, sources, timings: { import: importSeconds, train: trainSeconds } };
}

async function readList(s: IsolatedStack, user: TestUser, latencies: number[], sources: Map<string, number>, version: string): Promise<string[]> {
  const t = performance.now();
  const res = await fetch(`${s.edgeUrl}/v1/recommendations/${encodeURIComponent(ids.toApi(user.user_id))}?limit=${K}`, authed(s.secrets.clientKey));
  const body = (await res.json()) as { model_version: string; items: Array<{ item_id: string; sources: string[] }>; degraded: string[] };
  latencies.push(performance.now() - t);
  for (const part of (res.headers.get("server-timing") ?? "").split(",")) {
    const m = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
    if (m) stageMs.set(m[1]!, [...(stageMs.get(m[1]!) ?? []), Number(m[2])]);
  }
  if (res.status !== 200) throw new Error(`recommendations for ${user.user_id} answered ${res.status}: ${JSON.stringify(body)}`);
  if (body.model_version !== version) throw new Error(`served ${body.model_version}, not ${version}`);
  for (const d of body.degraded) sources.set(`degraded:${d}`, (sources.get(`degraded:${d}`) ?? 0) + 1);
  for (const item of body.items) for (const src of item.sources) sources.set(src, (sources.get(src) ?? 0) + 1);
  return body.items.map((i) => ids.fromApi(i.item_id));
}

/** The standard models, and the pipeline fitted exactly as the backend fits it (purchase weights, default parameters). */
function offlineRows(items: CatalogItem[]): MetricsRow[] {
  if (offlineIds.length === 0) return [];
  const models = standardModels({ typicalWeight: typicalWeight(asImported.train), catalog: items, only: offlineIds.filter((id) => id !== "pipeline") });
  if (offlineIds.includes("pipeline")) models.push(new PipelineRecommender(items, DEFAULT_PIPELINE, undefined, "pipeline (offline, as trained)"));
  const results = evaluateModels(models, asImported, {
    k: [K],
    onProgress: (p) =>
      log(p.stage === "start" ? `offline ${p.index + 1}/${p.of}: ${p.model}` : `offline ${p.model}: fit ${(p.result.fitMs / 1000).toFixed(1)} s`),
  });
  return results.flatMap((r) => r.rows.filter((row) => row.users > 0));
}

function report(offlineMetrics: readonly MetricsRow[], servedMetrics: readonly MetricsRow[]): void {
  const all = [...offlineMetrics, ...servedMetrics];
  const width = Math.max(...all.map((r) => r.model.length), 5);
  const line = (r: MetricsRow) =>
    `  ${r.model.padEnd(width)}  ${r.group.padEnd(4)}  ${String(r.users).padStart(6)}  ${r.ndcg.toFixed(4)}  ${r.precision.toFixed(4)}  ${r.recall.toFixed(4)}  ${r.coverage.toFixed(4)}`;
  const sorted = [...served.latencies].sort((a, b) => a - b);
  const out = [
    ...data.summary.map(([k, v]) => `  ${k}: ${v}`),
    "",
    `Protocol ${protocol === "random" ? "R" : "T"}, K = ${K}; training items excluded from every list`,
    `  ${"model".padEnd(width)}  users       n  NDCG    P       R       coverage`,
    ...all.map(line),
    "",
    `served version ${served.version}: ${count(sorted.length)} requests, client latency p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms`,
    `edge Server-Timing p50 / p99 ms: ${[...stageMs]
      .map(([stage, ms]) => {
        const sortedMs = [...ms].sort((a, b) => a - b);
        return `${stage} ${percentile(sortedMs, 50).toFixed(1)} / ${percentile(sortedMs, 99).toFixed(1)}`;
      })
      .join(", ")}`,
    `import ${served.timings.import.toFixed(1)} s, training until served ${served.timings.train.toFixed(1)} s`,
    `item slots by source: ${[...served.sources].map(([k, v]) => `${k} ${count(v)}`).join(", ")}`,
  ];
  const pipeline = offlineMetrics.find((r) => r.model.startsWith("pipeline") && r.group === "warm");
  const warm = servedMetrics.find((r) => r.group === "warm");
  if (pipeline && warm) out.push(`served vs offline pipeline (warm NDCG@${K}): ${(((warm.ndcg - pipeline.ndcg) / pipeline.ndcg) * 100).toFixed(2)} % relative`);
  process.stdout.write(`${out.join("\n")}\n`);
}
