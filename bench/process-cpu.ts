/**
 * CPU time per process group over a benchmark run, from /proc (Linux): which of the
 * local stack's processes the cores went to. The groups are workerd (the edge, its
 * Durable Objects and the queue consumer), the wrangler dev proxy, Postgres, Redis and
 * the benchmark's own processes, named by pid (the backend and the Redis gateway, and
 * the load generator unless it runs in a process of its own).
 * Processes that start and end inside the window are not seen.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

export interface ProcStat {
  pid: number;
  comm: string;
  /** utime + stime in clock ticks. */
  ticks: number;
}

/**
 * One /proc/<pid>/stat line. comm is in parentheses and may hold spaces or ")", so the
 * fields are counted from the last ")": state is field 3, utime 14, stime 15.
 */
export function parseProcStat(line: string): ProcStat | null {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const rest = line
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const pid = Number(line.slice(0, open).trim());
  if (!Number.isInteger(pid) || !Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { pid, comm: line.slice(open + 1, close), ticks: utime + stime };
}

/** Which group a process belongs to; null for processes the benchmark does not run. */
export function groupOf(comm: string, cmdline: string, pid: number, named: Readonly<Record<number, string>>): string | null {
  if (named[pid]) return named[pid];
  if (comm === "workerd") return "workerd (edge)";
  if (comm.startsWith("postgres")) return "postgres";
  if (comm.startsWith("redis-server")) return "redis";
  if (cmdline.includes("wrangler")) return "wrangler dev proxy";
  return null;
}

export type CpuSample = Map<number, { group: string; ticks: number }>;

/** The benchmark's own process by default; pass a name per pid when the load runs apart (bench/recs-client.ts). */
const OWN_PROCESS = { [process.pid]: "this process (backend, gateway, load)" };

export function sampleCpu(named: Readonly<Record<number, string>> = OWN_PROCESS): CpuSample {
  const out: CpuSample = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = parseProcStat(readFileSync(`/proc/${name}/stat`, "utf8"));
      if (!stat) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ");
      const group = groupOf(stat.comm, cmdline, stat.pid, named);
      if (group) out.set(stat.pid, { group, ticks: stat.ticks });
    } catch {
      // The process ended between readdir and read.
    }
  }
  return out;
}

/** CPU seconds per group between two samples; a process first seen in `after` counts from zero. */
export function cpuSecondsBetween(before: CpuSample, after: CpuSample): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const [pid, { group, ticks }] of after) {
    const used = ticks - (before.get(pid)?.ticks ?? 0);
    seconds.set(group, (seconds.get(group) ?? 0) + used / TICKS_PER_SECOND);
  }
  return seconds;
}

/** Printable rows: CPU seconds, share of one core over the wall time, and per unit of work. */
export function cpuRows(seconds: Map<string, number>, wallSeconds: number, units: number, unit: string): Record<string, string> {
  const rows: Record<string, string> = {};
  for (const [group, s] of [...seconds].sort((a, b) => b[1] - a[1])) {
    rows[`cpu ${group}`] = `${s.toFixed(1)} s (${((100 * s) / wallSeconds).toFixed(0)} % of a core), ${((1000 * s) / units).toFixed(3)} ms per ${unit}`;
  }
  return rows;
}
