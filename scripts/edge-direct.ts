/**
 * The edge worker in workerd driven directly through Miniflare, without `wrangler dev`.
 *
 * `wrangler dev` puts a proxy worker in front of the user worker (so it can hold
 * requests during a reload) and a Node process relaying the inspector: on a bench:recs
 * run that proxy cost 2.2 ms of CPU per request next to the worker's 4.9 ms, on a
 * 2-core machine. This runner measures the worker itself: wrangler bundles it exactly
 * as for a deploy (`wrangler deploy --dry-run --outdir`), wrangler's own config reader
 * turns wrangler.toml into Miniflare's options (the same Durable Objects, KV, R2 and
 * Queues), and Miniflare serves the bundle on the port. No reload on file changes;
 * benchmarks only.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import type { EdgeOptions, EdgeProcess } from "./edge-process.js";

export async function startEdgeDirect(opts: EdgeOptions): Promise<EdgeProcess> {
  const outDir = join(opts.persistTo, "bundle");
  await bundle(opts.root, outDir, (line) => opts.log("edge", line));
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(opts.root, "wrangler.toml"));
  const mf = new Miniflare({
    ...workerOptions,
    name: "edge-recs",
    // Listed, not discovered: Miniflare's import walker refuses the dynamic import()
    // onnxruntime-web keeps for a loader this worker never fetches.
    modules: bundleModules(outDir),
    modulesRoot: outDir,
    bindings: { ...workerOptions.bindings, ...opts.vars },
    host: "127.0.0.1",
    port: opts.port,
    inspectorPort: opts.inspectorPort,
    defaultPersistRoot: join(opts.persistTo, "direct"),
    // The placeholder request.cf, as under wrangler dev here: no download from Cloudflare.
    cf: false,
    log: new LineLog((line) => opts.log("edge", line)),
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      for (const stream of [stdout, stderr]) createInterface({ input: stream }).on("line", (l) => l.trim() && opts.log("edge", l));
    },
  });
  const url = (await mf.ready).origin;
  return { url, stop: () => mf.dispose() };
}

/** `wrangler deploy --dry-run`: the deploy's own bundle (esbuild, nodejs_compat, wasm modules). */
async function bundle(root: string, outDir: string, log: (line: string) => void): Promise<void> {
  const args = ["deploy", "--dry-run", "--outdir", outDir, "--config", join(root, "wrangler.toml"), "--tsconfig", join(root, "worker", "tsconfig.json")];
  const child = spawn(join(root, "node_modules", ".bin", "wrangler"), args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on("line", (l) => output.push(l));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`wrangler could not bundle the worker (exit ${code}):\n${output.join("\n")}`);
  log(`bundled into ${outDir}`);
}

function bundleModules(outDir: string): Array<{ type: "ESModule" | "CompiledWasm"; path: string }> {
  const wasm = readdirSync(outDir).filter((f) => f.endsWith(".wasm"));
  return [{ type: "ESModule", path: join(outDir, "index.js") }, ...wasm.map((f) => ({ type: "CompiledWasm" as const, path: join(outDir, f) }))];
}

/** Miniflare's own messages, one line each into the stack's log. */
class LineLog extends Log {
  constructor(private readonly onLine: (line: string) => void) {
    // Warnings and errors only: a line per request would load the Node process the
    // benchmark measures next to workerd.
    super(LogLevel.WARN);
  }
  protected override log(message: string): void {
    for (const line of message.split("\n")) if (line.trim()) this.onLine(line);
  }
}
