/**
 * Timing of similarItems and boughtTogether (backend/training/item-neighbours.ts):
 * a synthetic log at the target size (4,000 users × 3,700 items × 400,000
 * interactions, skewed item popularity, a generated catalog so the content path runs)
 * and, when it is present, the UCI Online Retail purchases (invoices as baskets).
 *
 *   npx tsx bench/item-neighbours.ts [--path ONLINE_RETAIL_FILE]
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { CatalogItem } from "../models/catalog.js";
import type { Interaction } from "../backend/evaluation/interactions.js";
import { DEFAULT_ONLINE_RETAIL_PATH, readOnlineRetail } from "../backend/evaluation/online-retail.js";
import { mulberry32 } from "../backend/evaluation/synthetic.js";
import { boughtTogether, similarItems, type Neighbours } from "../backend/training/item-neighbours.js";
import { printTable } from "./load-stats.js";

function timed<T>(f: () => T): [T, string] {
  const t = performance.now();
  const r = f();
  return [r, `${(performance.now() - t).toFixed(0)} ms`];
}

function summary(n: Neighbours): string {
  let lists = 0;
  let entries = 0;
  const bySource = new Map<string, number>();
  for (const list of n.values()) {
    if (list.length > 0) lists++;
    entries += list.length;
    for (const x of list) bySource.set(x.source, (bySource.get(x.source) ?? 0) + 1);
  }
  return `${n.size} items, ${lists} with neighbours, ${entries} entries (${[...bySource].map(([s, c]) => `${s} ${c}`).join(", ")})`;
}

function synthetic(): { log: Interaction[]; catalog: CatalogItem[] } {
  const rand = mulberry32(1);
  const users = 4000;
  const items = 3700;
  const clusters = 37;
  const words = Array.from({ length: 400 }, (_, w) => `w${w}`);
  const catalog: CatalogItem[] = Array.from({ length: items }, (_, i) => ({
    item_id: `i${i}`,
    title: Array.from({ length: 4 }, () => words[Math.floor(rand() * words.length)]!).join(" "),
    category: `cat${i % clusters}`,
    tags: [`t${Math.floor(rand() * 200)}`],
  }));
  const log: Interaction[] = [];
  for (let e = 0; e < 400_000; e++) {
    // Skewed activity (a few heavy users) and skewed items within the user's cluster.
    const u = Math.floor(rand() * rand() * users);
    const c = rand() < 0.2 ? Math.floor(rand() * clusters) : u % clusters;
    const i = c + clusters * Math.floor(rand() * rand() * (items / clusters));
    log.push({ user_id: `u${u}`, item_id: `i${i}`, ts: e * 60_000, weight: rand() < 0.7 ? 1 : 10 });
  }
  return { log, catalog };
}

async function main(): Promise<void> {
  const { log, catalog } = synthetic();
  const [sim, simMs] = timed(() => similarItems(log, catalog));
  const [bt, btMs] = timed(() => boughtTogether(log));
  printTable("Synthetic: 4,000 users × 3,700 items × 400,000 interactions", {
    "similarItems (with catalog)": `${simMs}  ${summary(sim)}`,
    "boughtTogether (24 h windows)": `${btMs}  ${summary(bt)}`,
  });

  const path = process.argv.includes("--path") ? process.argv[process.argv.indexOf("--path") + 1]! : fileURLToPath(DEFAULT_ONLINE_RETAIL_PATH);
  if (!existsSync(path)) {
    console.log(`\nOnline Retail not found at ${path}; skipped.`);
    return;
  }
  const { interactions } = await readOnlineRetail(path);
  const users = new Set(interactions.map((e) => e.user_id)).size;
  const items = new Set(interactions.map((e) => e.item_id)).size;
  const [rsim, rsimMs] = timed(() => similarItems(interactions, []));
  const [rlog, rlogMs] = timed(() => similarItems(interactions, [], { scaling: { kind: "log", epsilon: 10 } }));
  // Lines of one invoice share user and timestamp: that pair names the basket.
  const [rbt, rbtMs] = timed(() => boughtTogether(interactions, { basket: (e) => `${e.user_id}@${e.ts}` }));
  const [rwin, rwinMs] = timed(() => boughtTogether(interactions));
  printTable(`Online Retail: ${users} users × ${items} items × ${interactions.length} purchase lines`, {
    "similarItems (linear)": `${rsimMs}  ${summary(rsim)}`,
    "similarItems (log ε=10)": `${rlogMs}  ${summary(rlog)}`,
    "boughtTogether (invoice baskets)": `${rbtMs}  ${summary(rbt)}`,
    "boughtTogether (24 h windows)": `${rwinMs}  ${summary(rwin)}`,
  });
  const example = "85123A"; // WHITE HANGING HEART T-LIGHT HOLDER, the most bought item
  console.log(`\n${example} similar: ${JSON.stringify(rsim.get(example)?.slice(0, 5))}`);
  console.log(`${example} bought together: ${JSON.stringify(rbt.get(example)?.slice(0, 5))}`);
}

await main();
