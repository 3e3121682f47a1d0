/** Latency statistics, the printed summary and the stored-row count shared by the benchmarks. */
import { existsSync } from "node:fs";
import pg from "pg";

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function latencySummary(samples: readonly number[]): { p50: string; p95: string; p99: string; max: string } {
  const s = [...samples].sort((a, b) => a - b);
  const f = (x: number) => `${x.toFixed(2)} ms`;
  return { p50: f(percentile(s, 50)), p95: f(percentile(s, 95)), p99: f(percentile(s, 99)), max: f(s[s.length - 1] ?? NaN) };
}

export function printTable(title: string, rows: Record<string, string | number>): void {
  console.log(`\n${title}`);
  const width = Math.max(...Object.keys(rows).map((k) => k.length));
  for (const [k, v] of Object.entries(rows)) console.log(`  ${k.padEnd(width)}  ${v}`);
}

/** The value after `--name` on the command line, else the BENCH_NAME environment variable. */
function argRaw(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : process.env[`BENCH_${name.toUpperCase().replace(/-/g, "_")}`];
}

export function argNumber(name: string, fallback: number): number {
  const raw = argRaw(name);
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
  return n;
}

/** A share between 0 and 1 inclusive, from `--name` or BENCH_NAME. */
export function argShare(name: string, fallback: number): number {
  const raw = argRaw(name);
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`--${name} must be a share between 0 and 1, got ${raw}`);
  return n;
}

export function argChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = argRaw(name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new Error(`--${name} must be one of ${choices.join(", ")}, got ${raw}`);
  return raw as T;
}

/**
 * Where a benchmark's stack keeps its data folder: /dev/shm where there is one, unless
 * `--disk`. The local simulator gives every Durable Object its own SQLite file, created
 * when the object first starts even if it stores nothing (1.0 ms of workerd CPU per new
 * object on tmpfs, 2.3 ms on this machine's disk); in production that storage is
 * Cloudflare's, not the edge's CPU.
 */
export function benchDataRoot(): string | undefined {
  return !process.argv.includes("--disk") && existsSync("/dev/shm") ? "/dev/shm" : undefined;
}

/** Rows in the interactions table of the Postgres database at `url`. */
export async function storedInteractions(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM interactions")).rows[0]!.n);
  } finally {
    await client.end();
  }
}
