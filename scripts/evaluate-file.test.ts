import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../backend/evaluation/synthetic.js";
import { main, parseArgs, type Io } from "./evaluate-file.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * A small u.data: 80 users in 4 taste clusters of 10 films, 15 ratings each, one a day.
 * Films of the user's cluster get 4–5 stars, others 1–3, so after the ≥ 4 threshold
 * the positives are almost all in-cluster.
 */
function uData(seed = 1): string {
  const rand = mulberry32(seed);
  const lines: string[] = [];
  const day = 86_400;
  for (let u = 1; u <= 80; u++) {
    const cluster = u % 4;
    for (let e = 0; e < 15; e++) {
      const inCluster = rand() < 0.8;
      const c = inCluster ? cluster : Math.floor(rand() * 4);
      const item = 1 + c * 10 + Math.floor(rand() * 10);
      const rating = c === cluster ? 4 + Math.floor(rand() * 2) : 1 + Math.floor(rand() * 3);
      lines.push(`${u}\t${item}\t${rating}\t${880_000_000 + e * day + u}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function uItem(): string {
  const flags = (g: number) => Array.from({ length: 19 }, (_, i) => (i === g ? "1" : "0")).join("|");
  return Array.from({ length: 40 }, (_, i) => `${i + 1}|Film ${i + 1} (1995)|01-Jan-1995||url|${flags(1 + Math.floor(i / 10))}`).join("\n");
}

function capture(): Io & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return { out: (t) => (out += t), err: (t) => (err += t), stdout: () => out, stderr: () => err };
}

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "evaluate-file-"));
  writeFileSync(join(dir, "u.data"), uData());
  writeFileSync(join(dir, "u.item"), uItem());
  writeFileSync(join(dir, "broken.data"), "1\t2\t5\t880000000\n1\t3\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseArgs", () => {
  it("reads the file and options, with defaults", () => {
    expect(parseArgs(["f.data"])).toEqual({ kind: "run", args: { file: "f.data", k: [10, 20], protocol: "temporal", seed: 42, minRating: 4 } });
    expect(parseArgs(["--k", "20,5", "f", "--holdout-days=7", "--format", "movielens", "--items", "u.item", "--models", "popularity,ials"])).toEqual({
      kind: "run",
      args: {
        file: "f",
        format: "movielens",
        items: "u.item",
        k: [5, 20],
        protocol: "temporal",
        holdoutDays: 7,
        seed: 42,
        minRating: 4,
        models: ["popularity", "ials"],
      },
    });
    expect(parseArgs(["f", "--protocol", "random", "--seed", "7"])).toEqual({
      kind: "run",
      args: { file: "f", k: [10, 20], protocol: "random", seed: 7, minRating: 4 },
    });
    expect(parseArgs(["f", "--help"])).toEqual({ kind: "help" });
  });

  it("names the problem with bad arguments", () => {
    const error = (argv: string[]) => {
      const p = parseArgs(argv);
      return p.kind === "error" ? p.message : null;
    };
    expect(error([])).toBe("missing the interactions file");
    expect(error(["a", "b"])).toBe("expected one interactions file, got 2: a b");
    expect(error(["f", "--bogus"])).toBe("unknown option --bogus");
    expect(error(["f", "--k"])).toBe("--k needs a value");
    expect(error(["f", "--k", "10,0"])).toBe('--k must be positive whole numbers separated by commas, got "10,0"');
    expect(error(["f", "--holdout-days", "-3"])).toBe('--holdout-days must be a positive number, got "-3"');
    expect(error(["f", "--format", "csv"])).toBe('--format must be movielens or online-retail, got "csv"');
    expect(error(["f", "--models", "popularity,svd"])).toMatch(/^unknown model "svd" in --models; known: popularity, item-knn, ease, ials/);
    expect(error(["f", "--protocol", "loo"])).toBe('--protocol must be temporal or random, got "loo"');
    expect(error(["f", "--protocol", "random", "--holdout-days", "3"])).toBe("--holdout-days is only for --protocol temporal");
    expect(error(["f", "--seed", "3"])).toBe("--seed is only for --protocol random");
    expect(error(["f", "--protocol", "random", "--seed", "1.5"])).toBe('--seed must be a whole number, got "1.5"');
    expect(error(["f", "--format", "online-retail", "--items", "u.item"])).toBe("--items is only for MovieLens files");
  });
});

describe("main", () => {
  it("evaluates a u.data file: a table row per model, warm and cold, at each K", async () => {
    const io = capture();
    const status = await main([join(dir, "u.data"), "--items", join(dir, "u.item"), "--k", "5,10"], io);
    expect(io.stderr()).not.toMatch(/evaluate-file:/);
    expect(status).toBe(0);
    const out = io.stdout();
    expect(out).toMatch(/ratings \(u\.data\)\s+1,200, of which ≥ 4: \d+/);
    expect(out).toMatch(/items \(u\.item\)\s+40; interacted items without metadata: 0/);
    const rows = out.split("\n").filter((l) => /^(popularity|item-kNN|EASE|iALS|pipeline)/.test(l));
    for (const model of ["popularity", "item-kNN", "EASE", "iALS", "pipeline"]) {
      for (const group of ["warm", "cold"]) {
        for (const k of ["5", "10"]) {
          expect(
            rows.some((r) => r.startsWith(model) && new RegExp(`\\s${group}\\s+\\d+\\s+${k}\\s`).test(r)),
            `${model} ${group} K=${k}`,
          ).toBe(true);
        }
      }
    }
    expect(out).toMatch(/^model\s+users\s+n\s+K\s+Recall\s+Precision\s+NDCG\s+MAP\s+HitRate\s+Coverage$/m);
    // One progress line per stage: read, items, split, and start/done per model.
    const progress = io
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("[evaluate]"));
    expect(progress.length).toBe(2 + 2 + 1 + 2 * 5);
    // Planted tastes: the personalised models beat popularity on warm users.
    const ndcg = (model: string) =>
      Number(
        rows
          .find((r) => r.startsWith(model) && /\swarm\s+\d+\s+10\s/.test(r))!
          .trim()
          .split(/\s+/)
          .at(-4),
      );
    expect(ndcg("iALS")).toBeGreaterThan(ndcg("popularity"));
    expect(ndcg("pipeline")).toBeGreaterThan(ndcg("popularity"));
    expect(ndcg("EASE")).toBeGreaterThan(ndcg("popularity"));
  }, 60_000);

  it("evaluates under protocol R: a random 75/25 of each user's items, no cold rows", async () => {
    const io = capture();
    expect(await main([join(dir, "u.data"), "--protocol", "random", "--k", "10", "--models", "popularity,ease"], io)).toBe(0);
    const out = io.stdout();
    expect(out).toMatch(/split\s+random per user, 75% train \/ 25% test, seed 42: \d+ test users/);
    expect(out).toMatch(/train \/ test pairs\s+\d+ \/ \d+/);
    const rows = out.split("\n").filter((l) => /^(popularity|EASE)/.test(l));
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => /\swarm\s/.test(r))).toBe(true);
    const ndcg = (model: string) =>
      Number(
        rows
          .find((r) => r.startsWith(model))!
          .trim()
          .split(/\s+/)
          .at(-4),
      );
    expect(ndcg("EASE")).toBeGreaterThan(ndcg("popularity"));
  });

  it("holds out the last N days and runs only the chosen models", async () => {
    const io = capture();
    expect(await main([join(dir, "u.data"), "--holdout-days", "3", "--models", "popularity"], io)).toBe(0);
    expect(io.stdout()).toMatch(/split\s+temporal, cut at \S+ \S+ UTC \(last 3 days\)/);
    expect(io.stdout()).not.toMatch(/iALS/);
  });

  it("prints usage on --help and exits 2 with one line naming a bad argument", async () => {
    const help = capture();
    expect(await main(["--help"], help)).toBe(0);
    expect(help.stdout()).toMatch(/^Usage: npx tsx scripts\/evaluate-file\.ts/);
    const bad = capture();
    expect(await main(["--k", "x", "u.data"], bad)).toBe(2);
    expect(bad.stderr().split("\n")[0]).toBe('evaluate-file: --k must be positive whole numbers separated by commas, got "x"');
    expect(bad.stderr()).toMatch(/Usage:/);
  });

  it("exits 1 with a clear error for a missing or malformed file", async () => {
    const missing = capture();
    expect(await main([join(dir, "nope.data")], missing)).toBe(1);
    expect(missing.stderr()).toBe(`evaluate-file: no such file: ${join(dir, "nope.data")}\n`);
    const broken = capture();
    expect(await main([join(dir, "broken.data")], broken)).toBe(1);
    expect(broken.stderr()).toContain(`evaluate-file: ${join(dir, "broken.data")}:2: expected 4 tab-separated fields`);
  });
});

describe("npx tsx scripts/evaluate-file.ts", () => {
  it("runs end to end as a script", () => {
    const run = spawnSync("npx", ["tsx", "scripts/evaluate-file.ts", join(dir, "u.data"), "--models", "popularity,item-knn"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^popularity\s+warm/m);
    expect(run.stdout).toMatch(/^item-kNN \(N=50, popularity fill\)\s+cold/m);
    expect(run.stderr).toMatch(/\[evaluate\] temporal, cut at/);
    const bad = spawnSync("npx", ["tsx", "scripts/evaluate-file.ts", "--bogus"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^evaluate-file: unknown option --bogus$/m);
  }, 120_000);
});
