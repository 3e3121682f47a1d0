/**
 * The edge worker under `wrangler dev` (workerd with local Durable Objects, KV, R2 and
 * Queues persisted under the data folder), as a child process whose output joins the
 * stack's log.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface EdgeOptions {
  root: string;
  port: number;
  inspectorPort: number;
  persistTo: string;
  vars: Record<string, string>;
  log: (source: string, line: string) => void;
}

export interface EdgeProcess {
  url: string;
  stop(): Promise<void>;
}

export async function startEdge(opts: EdgeOptions): Promise<EdgeProcess> {
  const args = [
    "dev",
    "--config",
    join(opts.root, "wrangler.toml"),
    "--tsconfig",
    join(opts.root, "worker", "tsconfig.json"),
    "--ip",
    "127.0.0.1",
    "--port",
    String(opts.port),
    "--inspector-port",
    String(opts.inspectorPort),
    "--persist-to",
    opts.persistTo,
    "--show-interactive-dev-session=false",
    "--log-level",
    "log",
    ...Object.entries(opts.vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
  const child = spawn(join(opts.root, "node_modules", ".bin", "wrangler"), args, {
    cwd: opts.root,
    // No request.cf download: the local machine may have no route to Cloudflare, and the
    // placeholder is all local development needs.
    // Each stack gets its own dev registry, so another wrangler on the machine (a test
    // run, a second stack) registering itself does not make this one reload.
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_REGISTRY_PATH: join(opts.persistTo, "registry"),
      FORCE_COLOR: "0",
      NO_COLOR: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: false,
  });
  pipeLines(child, (line) => opts.log("edge", line));
  const url = `http://127.0.0.1:${opts.port}`;
  await waitForHealth(`${url}/health`, child, 90_000);
  return { url, stop: () => stopChild(child) };
}

function pipeLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on("line", (l) => l.trim() && onLine(l));
  }
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stopChild(child);
  throw new Error(`the edge did not answer ${url} within ${timeoutMs / 1000} s`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGINT");
  const exited = await Promise.race([once(child, "exit").then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 8_000))]);
  if (!exited) child.kill("SIGKILL");
}
