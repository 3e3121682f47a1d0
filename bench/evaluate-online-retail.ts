/**
 * Offline evaluation of the baseline recommenders on the UCI Online Retail purchases:
 * temporal split (last 20% of interactions held out), popularity vs item-kNN, Recall /
 * NDCG / MAP / HitRate / coverage at K = 10 and 20 for warm and cold users, and timings.
 *
 *   npx tsx bench/evaluate-online-retail.ts [--path FILE] [--test-fraction 0.2] [--neighbours 50]
 *
 * The dataset lives outside the repository (../shared/datasets/online-retail/); tests do
 * not depend on it, this benchmark does.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ItemKnn, Popularity, type Recommender } from "../backend/evaluation/baselines.js";
import { evaluate, formatReport, type MetricsRow } from "../backend/evaluation/evaluate.js";
import { DEFAULT_ONLINE_RETAIL_PATH, readOnlineRetail } from "../backend/evaluation/online-retail.js";
import { temporalSplit } from "../backend/evaluation/temporal-split.js";
import { argNumber, printTable } from "./load-stats.js";

function argString(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const ms = (x: number) => `${x.toFixed(0)} ms`;

async function main(): Promise<void> {
  const path = argString("path") ?? process.env.ONLINE_RETAIL_PATH ?? fileURLToPath(DEFAULT_ONLINE_RETAIL_PATH);
  if (!existsSync(path)) {
    console.error(`Online Retail dataset not found at ${path} (pass --path or set ONLINE_RETAIL_PATH).`);
    process.exitCode = 1;
    return;
  }
  const testFraction = argNumber("test-fraction", 0.2);
  const neighbours = argNumber("neighbours", 50);

  let t = performance.now();
  const { interactions, stats: read } = await readOnlineRetail(path);
  const loadMs = performance.now() - t;
  t = performance.now();
  const split = temporalSplit(interactions, { testFraction });
  const splitMs = performance.now() - t;

  const users = new Set(interactions.map((e) => e.user_id)).size;
  const items = new Set(interactions.map((e) => e.item_id)).size;
  printTable("Data", {
    file: path,
    "records read": read.records,
    "purchase lines kept": read.kept,
    "dropped (no customer / cancelled / qty ≤ 0 / service / malformed)": `${read.dropped.noCustomer} / ${read.dropped.cancelled} / ${read.dropped.nonPositiveQuantity} / ${read.dropped.serviceCode} / ${read.dropped.malformed}`,
    "users × items": `${users} × ${items}`,
    "cut (test = last share of interactions)": `${new Date(split.cutTs).toISOString().slice(0, 16)} (${testFraction})`,
    "train / test interactions": `${split.stats.trainInteractions} / ${split.stats.testInteractions}`,
    "train catalog": split.catalog.size,
    "warm users / cold users": `${split.stats.warmUsers} / ${split.stats.coldUsers}`,
    "warm users with no new items (dropped)": split.stats.warmUsersWithoutNewItems,
    "warm relevant pairs (outside train catalog)": `${split.stats.relevantPairs} (${split.stats.relevantPairsOutsideCatalog})`,
  });

  const models: Recommender[] = [new Popularity(), new ItemKnn({ neighbours })];
  const rows: MetricsRow[] = [];
  const timings: Record<string, string> = { "load + parse": ms(loadMs), split: ms(splitMs) };
  for (const model of models) {
    const result = evaluate(model, split, { k: [10, 20] });
    rows.push(...result.rows);
    timings[`${model.name}: fit`] = ms(result.fitMs);
    timings[`${model.name}: recommend`] = `${ms(result.recommendMs)} for ${result.lists} users (${((1000 * result.recommendMs) / result.lists).toFixed(0)} µs each)`;
  }
  console.log(`\nMetrics (K = 10, 20; training items excluded from every list)\n`);
  console.log(formatReport(rows));
  printTable("Timings", timings);
}

await main();
