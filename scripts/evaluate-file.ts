/**
 * Offline evaluation of the standard models (backend/evaluation/model-suite.ts) on an
 * interactions file: MovieLens ratings (u.data, ratings.csv, ratings.dat) or UCI Online
 * Retail purchases. Reads the file, splits it (protocol T: one cut in time; protocol R:
 * a random 75/25 of each user's items), fits each model on the train part and prints
 * Recall, Precision, NDCG, MAP, HitRate and coverage.
 *
 *   npx tsx scripts/evaluate-file.ts <interactions file> [options]   (npm run evaluate -- …)
 *
 * Results go to stdout, one progress line per stage to stderr, so `> report.txt` keeps
 * just the report. Exit status: 0 done, 1 the input could not be read or evaluated,
 * 2 bad arguments.
 */
import { existsSync, statSync } from "node:fs";
import { isEntryPoint } from "./entry-point.js";
import { formatReport, type EvaluationSplit, type MetricsRow } from "../backend/evaluation/evaluate.js";
import type { Interaction } from "../backend/evaluation/interactions.js";
import { evaluateModels, modelIds, standardModels, typicalWeight } from "../backend/evaluation/model-suite.js";
import { DEFAULT_MIN_RATING, fileLines, readMovieLensItems, readMovieLensRatings } from "../backend/evaluation/movielens.js";
import { readOnlineRetail } from "../backend/evaluation/online-retail.js";
import { temporalSplit } from "../backend/evaluation/temporal-split.js";
import { randomSplit } from "../backend/evaluation/random-split.js";
import type { CatalogItem } from "../models/catalog.js";

export const USAGE = `Usage: npx tsx scripts/evaluate-file.ts <interactions file> [options]

Fits ${modelIds().join(", ")} on the train part of the file and scores
their top-K lists on the held-out part.

Protocols (--protocol):
  temporal (T)        one global time cut: train on the past, score the new items each user
                      touched after it; warm and cold users reported apart (default)
  random (R)          per user, a seeded random 75% of their distinct items train and 25% test;
                      users with fewer than 2 items left out (the common top-N benchmark protocol)

Files:
  MovieLens ratings   u.data, ratings.csv or ratings.dat (plain or .gz); ratings >= --min-rating
                      are the positive interactions
  Online Retail       the UCI Online Retail CSV (plain or .gz), one interaction per purchase line

Options:
  --format F          movielens | online-retail (default: detected from the first line)
  --items FILE        MovieLens item metadata: u.item, movies.csv or movies.dat
  --k LIST            cut-offs, comma-separated (default 10,20)
  --protocol P        temporal | random (default temporal)
  --holdout-days N    temporal: test on the last N days (default: the last 20% of interactions)
  --seed N            random: seed of the per-user shuffles (default 42)
  --min-rating R      MovieLens: lowest rating counted as positive (default ${DEFAULT_MIN_RATING})
  --models LIST       a comma-separated subset of ${modelIds().join(",")} (default all)
  -h, --help          this text

Exit status: 0 done, 1 unreadable or unusable input, 2 bad arguments.`;

export type FileFormat = "movielens" | "online-retail";
export type Protocol = "temporal" | "random";

export interface CliArgs {
  readonly file: string;
  readonly format?: FileFormat;
  readonly items?: string;
  readonly k: readonly number[];
  readonly protocol: Protocol;
  readonly holdoutDays?: number;
  readonly seed: number;
  readonly minRating: number;
  readonly models?: readonly string[];
}

export type ParsedArgs = { readonly kind: "run"; readonly args: CliArgs } | { readonly kind: "help" } | { readonly kind: "error"; readonly message: string };

const VALUE_OPTIONS = new Set(["--format", "--items", "--k", "--protocol", "--holdout-days", "--seed", "--min-rating", "--models"]);

/** Command line → what to do; never throws, never exits. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") return { kind: "help" };
    if (arg.startsWith("-") && arg !== "-") {
      const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
      if (!VALUE_OPTIONS.has(name)) return { kind: "error", message: `unknown option ${name}` };
      const value = inline ?? argv[++i];
      if (value === undefined || value === "") return { kind: "error", message: `${name} needs a value` };
      if (values.has(name)) return { kind: "error", message: `${name} given twice` };
      values.set(name, value);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length === 0) return { kind: "error", message: "missing the interactions file" };
  if (positional.length > 1) return { kind: "error", message: `expected one interactions file, got ${positional.length}: ${positional.join(" ")}` };

  const format = values.get("--format");
  if (format !== undefined && format !== "movielens" && format !== "online-retail") {
    return { kind: "error", message: `--format must be movielens or online-retail, got "${format}"` };
  }
  const kText = values.get("--k") ?? "10,20";
  const k = kText.split(",").map((s) => Number(s.trim()));
  if (k.some((x) => !Number.isInteger(x) || x < 1)) return { kind: "error", message: `--k must be positive whole numbers separated by commas, got "${kText}"` };
  const daysText = values.get("--holdout-days");
  const holdoutDays = daysText === undefined ? undefined : Number(daysText);
  if (holdoutDays !== undefined && !(holdoutDays > 0 && Number.isFinite(holdoutDays))) {
    return { kind: "error", message: `--holdout-days must be a positive number, got "${daysText}"` };
  }
  const protocol = values.get("--protocol") ?? "temporal";
  if (protocol !== "temporal" && protocol !== "random") return { kind: "error", message: `--protocol must be temporal or random, got "${protocol}"` };
  if (protocol === "random" && holdoutDays !== undefined) return { kind: "error", message: "--holdout-days is only for --protocol temporal" };
  const seedText = values.get("--seed");
  const seed = seedText === undefined ? 42 : Number(seedText);
  if (!Number.isSafeInteger(seed) || seed < 0) return { kind: "error", message: `--seed must be a whole number, got "${seedText}"` };
  if (protocol === "temporal" && seedText !== undefined) return { kind: "error", message: "--seed is only for --protocol random" };
  const ratingText = values.get("--min-rating");
  const minRating = ratingText === undefined ? DEFAULT_MIN_RATING : Number(ratingText);
  if (!Number.isFinite(minRating)) return { kind: "error", message: `--min-rating must be a number, got "${ratingText}"` };
  const modelsText = values.get("--models");
  const models = modelsText?.split(",").map((s) => s.trim());
  const unknown = models?.filter((m) => !modelIds().includes(m)) ?? [];
  if (unknown.length > 0) return { kind: "error", message: `unknown model "${unknown.join(",")}" in --models; known: ${modelIds().join(", ")}` };
  if (format === "online-retail" && values.has("--items")) return { kind: "error", message: "--items is only for MovieLens files" };
  if (format === "online-retail" && values.has("--min-rating")) return { kind: "error", message: "--min-rating is only for MovieLens files" };

  return {
    kind: "run",
    args: {
      file: positional[0]!,
      ...(format ? { format } : {}),
      ...(values.has("--items") ? { items: values.get("--items")! } : {}),
      k: [...new Set(k)].sort((a, b) => a - b),
      protocol,
      ...(holdoutDays !== undefined ? { holdoutDays } : {}),
      seed,
      minRating,
      ...(models ? { models } : {}),
    },
  };
}

/** Online Retail has a CSV header naming InvoiceNo; everything else is taken for MovieLens. */
export async function detectFormat(path: string): Promise<FileFormat> {
  for await (const line of fileLines(path)) {
    if (line.trim() === "") continue;
    return /(^|,)\s*"?InvoiceNo"?\s*(,|$)/.test(line.replace(/^\uFEFF/, "")) ? "online-retail" : "movielens";
  }
  return "movielens";
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

const DAY_MS = 24 * 60 * 60 * 1000;
const count = (n: number) => n.toLocaleString("en-US");
const iso = (ts: number) => new Date(ts).toISOString().slice(0, 16).replace("T", " ");

function readableFile(path: string): string | null {
  if (!existsSync(path)) return `no such file: ${path}`;
  if (!statSync(path).isFile()) return `not a file: ${path}`;
  return null;
}

interface ProtocolSplit {
  readonly split: EvaluationSplit;
  /** Summary lines; the first is also the progress line. */
  readonly lines: [string, string][];
}

function temporalProtocol(interactions: readonly Interaction[], holdoutDays: number | undefined): ProtocolSplit {
  let maxTs = -Infinity;
  for (const e of interactions) if (e.ts > maxTs) maxTs = e.ts;
  const split =
    holdoutDays !== undefined ? temporalSplit(interactions, { cutTs: maxTs - holdoutDays * DAY_MS }) : temporalSplit(interactions, { testFraction: 0.2 });
  const s = split.stats;
  if (s.trainInteractions === 0) throw new Error(`the cut (${iso(split.cutTs)}) leaves nothing to train on; use fewer --holdout-days`);
  if (s.warmUsers + s.coldUsers === 0) throw new Error(`no user has new items after the cut (${iso(split.cutTs)}); nothing to score`);
  return {
    split,
    lines: [
      [
        "split",
        `temporal, cut at ${iso(split.cutTs)} UTC (${holdoutDays !== undefined ? `last ${holdoutDays} days` : "last 20% of interactions"}): ${s.warmUsers} warm / ${s.coldUsers} cold users`,
      ],
      ["train / test interactions", `${count(s.trainInteractions)} / ${count(s.testInteractions)}`],
      ["warm / cold users", `${s.warmUsers} / ${s.coldUsers} (warm users with no new items, dropped: ${s.warmUsersWithoutNewItems})`],
      ["warm relevant pairs (outside train catalog)", `${count(s.relevantPairs)} (${count(s.relevantPairsOutsideCatalog)})`],
    ],
  };
}

function randomProtocol(interactions: readonly Interaction[], seed: number): ProtocolSplit {
  const split = randomSplit(interactions, { seed });
  const s = split.stats;
  if (s.testUsers === 0) throw new Error("no user has 2 or more distinct items to split; nothing to score");
  return {
    split,
    lines: [
      ["split", `random per user, 75% train / 25% test, seed ${seed}: ${count(s.testUsers)} test users`],
      [
        "users × items (≥ 2 items)",
        `${count(s.users)} × ${count(s.items)}, ${count(s.positives)} distinct positives (${count(s.usersLeftOut)} users left out)`,
      ],
      ["train / test pairs", `${count(s.trainPairs)} / ${count(s.testPairs)}`],
    ],
  };
}

export interface Dataset {
  readonly interactions: Interaction[];
  readonly catalog: CatalogItem[] | undefined;
  /** Label and value lines describing the file and the split. */
  readonly summary: [string, string][];
  readonly split: EvaluationSplit;
}

type DatasetArgs = Pick<CliArgs, "file" | "items" | "protocol" | "holdoutDays" | "seed" | "minRating"> & { readonly format: FileFormat };

/** Reads the interactions (and MovieLens items) and splits them by the protocol; shared with bench/quality.ts. */
export async function readDataset(args: DatasetArgs, progress: (line: string) => void): Promise<Dataset> {
  const { format } = args;
  let t = performance.now();
  progress(`reading ${args.file} as ${format}`);
  let interactions: Interaction[];
  const summary: [string, string][] = [["file", args.file]];
  if (format === "movielens") {
    const read = await readMovieLensRatings(args.file, { minRating: args.minRating });
    interactions = read.interactions;
    summary.push([`ratings (${read.stats.format})`, `${count(read.stats.ratings)}, of which ≥ ${args.minRating}: ${count(read.stats.kept)}`]);
  } else {
    // Protocol R's published reference figures count every stock code as a product.
    const read = await readOnlineRetail(args.file, { keepServiceCodes: args.protocol === "random" });
    interactions = read.interactions;
    const d = read.stats.dropped;
    summary.push([
      "purchase lines",
      `${count(read.stats.kept)} of ${count(read.stats.records)} (dropped: ${d.noCustomer} no customer, ${d.cancelled} cancelled, ${d.nonPositiveQuantity} qty ≤ 0, ${d.serviceCode} service, ${d.malformed} malformed)`,
    ]);
  }
  progress(`read ${count(interactions.length)} interactions in ${(performance.now() - t).toFixed(0)} ms`);
  if (interactions.length === 0) throw new Error(`${args.file} has no positive interactions to evaluate`);

  let catalog: CatalogItem[] | undefined;
  if (args.items) {
    t = performance.now();
    progress(`reading items ${args.items}`);
    const read = await readMovieLensItems(args.items);
    catalog = read.items;
    const described = new Set(catalog.map((c) => c.item_id));
    const rated = new Set(interactions.map((e) => e.item_id));
    const missing = [...rated].filter((i) => !described.has(i)).length;
    summary.push([`items (${read.format})`, `${count(catalog.length)}; interacted items without metadata: ${count(missing)}`]);
    progress(`read ${count(catalog.length)} items in ${(performance.now() - t).toFixed(0)} ms`);
  }

  t = performance.now();
  const { split, lines } = args.protocol === "random" ? randomProtocol(interactions, args.seed) : temporalProtocol(interactions, args.holdoutDays);
  progress(`${lines[0]![1]} (${(performance.now() - t).toFixed(0)} ms)`);
  const users = new Set(interactions.map((e) => e.user_id)).size;
  const items = new Set(interactions.map((e) => e.item_id)).size;
  summary.push(["users × items", `${count(users)} × ${count(items)}`], ...lines);

  return { interactions, catalog, summary, split };
}

/** Runs the CLI; returns the exit status instead of exiting, so tests can call it. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === "help") {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === "error") {
    io.err(`evaluate-file: ${parsed.message}\n\n${USAGE}\n`);
    return 2;
  }
  const args = parsed.args;
  const progress = (line: string) => io.err(`[evaluate] ${line}\n`);
  try {
    for (const path of [args.file, args.items]) {
      const problem = path === undefined ? null : readableFile(path);
      if (problem) {
        io.err(`evaluate-file: ${problem}\n`);
        return 1;
      }
    }
    const format = args.format ?? (await detectFormat(args.file));
    if (format === "online-retail" && args.items) throw new Error("--items is only for MovieLens files");

    const { catalog, summary, split } = await readDataset({ ...args, format }, progress);

    const models = standardModels({
      typicalWeight: typicalWeight(split.train),
      ...(catalog ? { catalog } : {}),
      ...(args.models ? { only: args.models } : {}),
    });
    const rows: MetricsRow[] = [];
    const timings: [string, string][] = [];
    for (const result of evaluateModels(models, split, {
      k: args.k,
      onProgress: (p) =>
        progress(
          p.stage === "start"
            ? `model ${p.index + 1}/${p.of}: ${p.model}: fitting and recommending`
            : `model ${p.index + 1}/${p.of}: ${p.model}: done (fit ${p.result.fitMs.toFixed(0)} ms, recommend ${p.result.recommendMs.toFixed(0)} ms)`,
        ),
    })) {
      // Protocol R has no cold users; their empty rows would only say n/a.
      rows.push(...result.rows.filter((r) => args.protocol === "temporal" || r.users > 0));
      const perUser = result.lists > 0 ? ` (${((1000 * result.recommendMs) / result.lists).toFixed(0)} µs per user)` : "";
      timings.push([result.name, `fit ${result.fitMs.toFixed(0)} ms, recommend ${result.recommendMs.toFixed(0)} ms for ${result.lists} users${perUser}`]);
    }

    const table = (title: string, entries: readonly [string, string][]) => {
      const width = Math.max(...entries.map(([k]) => k.length));
      return `${title}\n${entries.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n")}\n`;
    };
    io.out(
      `${table("Data", summary)}\nMetrics (K = ${args.k.join(", ")}; training items excluded from every list)\n\n${formatReport(rows)}\n\n${table("Timings", timings)}`,
    );
    return 0;
  } catch (e) {
    io.err(`evaluate-file: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (isEntryPoint(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
