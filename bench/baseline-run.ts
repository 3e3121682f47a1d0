/**
 * Same-run comparisons for a benchmark: `--baseline <git ref>` runs the benchmark of
 * that ref first (checked out in a temporary detached worktree that shares this
 * checkout's node_modules), then this checkout's, one after the other on the same
 * machine, and prints their headline figures side by side with the ratios. These
 * machines are noisy, so a ratio from one run is the figure that counts.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { printTable } from "./load-stats.js";

/** The printed `  label   value` rows of a benchmark's table, by label. */
export function parseTable(output: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of output.split("\n")) {
    const m = /^ {2}(\S.*?\S) {2,}(\S.*)$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

/** The first number in a value ("182.8 req/s" → 182.8, "4.9 s (89 %), 4.876 ms per request" → by pattern). */
export function numberIn(value: string | undefined, pattern = /(-?[\d,]*\.?\d+)/): number | null {
  const m = value === undefined ? null : pattern.exec(value);
  return m ? Number(m[1]!.replace(/,/g, "")) : null;
}

export interface Figure {
  label: string;
  row: string;
  pattern?: RegExp;
  /** True when bigger is better (throughput), false for times. */
  higherIsBetter: boolean;
}

export function compare(figures: readonly Figure[], baseline: Map<string, string>, current: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of figures) {
    const b = numberIn(baseline.get(f.row), f.pattern);
    const c = numberIn(current.get(f.row), f.pattern);
    if (b === null || c === null) {
      out[f.label] = `baseline ${b ?? "—"}, now ${c ?? "—"}`;
      continue;
    }
    const ratio = b === 0 ? Infinity : c / b;
    const better = f.higherIsBetter ? ratio > 1 : ratio < 1;
    out[f.label] = `baseline ${b}, now ${c}: ×${ratio.toFixed(2)}${ratio === 1 ? "" : better ? " (better)" : " (worse)"}`;
  }
  return out;
}

function run(cwd: string, script: string, args: readonly string[], label: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(cwd, "node_modules", ".bin", "tsx"), [script, ...args], { cwd, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of chunk.toString().split("\n")) if (line.trim()) console.log(`  [${label}] ${line}`);
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`${label} run exited with ${code}`))));
  });
}

/**
 * Runs `script` (a path inside the repository) at `ref` and here with `args`, in that
 * order, and returns both outputs.
 */
export async function runAgainstBaseline(ref: string, script: string, args: readonly string[]): Promise<{ baseline: string; current: string }> {
  const root = resolve(execFileSync("git", ["rev-parse", "--show-toplevel"], { encoding: "utf8" }).trim());
  const commit = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], { cwd: root, encoding: "utf8" }).trim();
  const dir = mkdtempSync(join(tmpdir(), "bench-baseline-"));
  execFileSync("git", ["worktree", "add", "--detach", dir, commit], { cwd: root, stdio: "ignore" });
  try {
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
    // What `npm install` would generate there (e.g. the embedded Swagger UI assets).
    execFileSync("npm", ["run", "--if-present", "postinstall"], { cwd: dir, stdio: "ignore" });
    const rel = relative(root, resolve(script));
    console.log(`baseline: ${ref} (${commit.slice(0, 10)}), then this checkout`);
    const baseline = await run(dir, rel, args, `baseline ${ref}`);
    const current = await run(root, rel, args, "now");
    return { baseline, current };
  } finally {
    execFileSync("git", ["worktree", "remove", "--force", dir], { cwd: root, stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A benchmark's `--baseline <ref>`: when the command line has it, runs `script` at the ref
 * and here with the other arguments, prints the figures' ratios and returns true; false
 * (nothing run) without it.
 */
export async function runBaselineIfAsked(script: string, figures: readonly Figure[], argv: readonly string[] = process.argv): Promise<boolean> {
  const at = argv.indexOf("--baseline");
  if (at < 0) return false;
  const ref = argv[at + 1];
  if (!ref || ref.startsWith("--")) throw new Error("--baseline needs a git ref, e.g. --baseline HEAD~3");
  const args = argv.slice(2).filter((_, i) => i + 2 !== at && i + 2 !== at + 1);
  const { baseline: before, current } = await runAgainstBaseline(ref, script, args);
  printTable(`Same run: ${ref} first, then this checkout (ratio = now / baseline)`, compare(figures, parseTable(before), parseTable(current)));
  return true;
}
