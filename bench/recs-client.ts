/**
 * The load generator of bench:recs, in its own process so its CPU is counted apart
 * from the backend and the Redis gateway (bench/process-cpu.ts) and cannot starve them.
 * The parent forks this file and sends one message per phase ({ url, key, concurrency,
 * seconds, record }); the reply is that phase's samples.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface LoadPhase {
  url: string;
  key: string;
  concurrency: number;
  seconds: number;
  /** false for the warm-up: requests are sent, nothing is kept. */
  record: boolean;
  /** Share of requests for users never seen before (0.2: one in five). */
  newUserShare: number;
}

export interface LoadResult {
  latencies: number[];
  /** Server-Timing total per request. */
  edgeTimes: number[];
  stages: Map<string, number[]>;
  versions: Map<string, number>;
  /** Requests per count of network round trips (Server-Timing `trips`). */
  trips: Map<number, number>;
  /** Candidates the ranker scored, per request it ran for (Server-Timing `ranker;desc`). */
  ranked: number[];
  errors: number;
}

/** Request i asks for a brand-new user every `1 / newUserShare` requests, else for a demo user with history. */
function pickUser(i: number, newUserShare: number): string {
  const everyNth = newUserShare > 0 ? Math.round(1 / newUserShare) : 0;
  return everyNth > 0 && i % everyNth === 0 ? `bench-new-${i}` : `demo-user-${1 + (i % 1500)}`;
}

export async function runLoad({ url, key, concurrency, seconds, record, newUserShare }: LoadPhase): Promise<LoadResult> {
  const out: LoadResult = { latencies: [], edgeTimes: [], stages: new Map(), versions: new Map(), trips: new Map(), ranked: [], errors: 0 };
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const headers = { authorization: `Bearer ${key}` };
  const worker = async () => {
    while (performance.now() < end) {
      const i = n++;
      const start = performance.now();
      try {
        const res = await fetch(`${url}/v1/recommendations/${pickUser(i, newUserShare)}?limit=10`, { headers });
        const body = (await res.json()) as { items?: unknown[]; degraded?: string[]; model_version?: string };
        const ms = performance.now() - start;
        if (!res.ok || !body.items || (body.degraded?.length ?? 0) > 0) out.errors++;
        if (record) keep(out, ms, res.headers.get("server-timing") ?? "", body.model_version);
      } catch {
        out.errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

function keep(out: LoadResult, ms: number, timing: string, version: string | undefined): void {
  out.latencies.push(ms);
  const total = /total;dur=([\d.]+)/.exec(timing);
  if (total) out.edgeTimes.push(Number(total[1]));
  const tripCount = /trips;desc="(\d+)"/.exec(timing);
  if (tripCount) out.trips.set(Number(tripCount[1]), (out.trips.get(Number(tripCount[1])) ?? 0) + 1);
  const ranked = /ranker;dur=[\d.]+;desc="(\d+)"/.exec(timing);
  if (ranked) out.ranked.push(Number(ranked[1]));
  for (const [, stage, dur] of timing.matchAll(/(\w+);dur=([\d.]+)/g)) {
    if (stage === "total") continue;
    if (!out.stages.has(stage!)) out.stages.set(stage!, []);
    out.stages.get(stage!)!.push(Number(dur));
  }
  if (version) out.versions.set(version, (out.versions.get(version) ?? 0) + 1);
}

/** The load generator as a child process; call `phase` per phase, then `stop`. */
export function forkLoadClient(): { pid: number; phase(p: LoadPhase): Promise<LoadResult>; stop(): void } {
  const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ["--import", "tsx"], serialization: "advanced", stdio: "inherit" });
  return {
    pid: child.pid!,
    phase: (p) =>
      new Promise((resolve, reject) => {
        child.once("message", (m) => resolve(m as LoadResult));
        child.once("exit", (code) => reject(new Error(`the load generator exited with code ${code}`)));
        child.send(p);
      }),
    stop: () => child.kill(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  process.on("message", (p: LoadPhase) => {
    runLoad(p).then((r) => process.send!(r));
  });
}
