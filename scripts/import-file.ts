/**
 * Imports an interaction history file into the backend through its public API
 * (`POST /api/v1/interactions/import`), streaming it with a progress line.
 *
 *   npm run import -- <file.ndjson|file.csv[.gz]> [--url URL] [--key KEY] [--format ndjson|csv] [--max-bad-rows N]
 *
 * The key defaults to RECS_ADMIN_KEY, then to the admin key `npm start` keeps in
 * <DATA_DIR>/local-secrets.json; the URL to the local backend. Exit status: 0 imported,
 * 1 the file or the backend refused it, 2 bad arguments.
 */
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { isEntryPoint } from "./entry-point.js";
import { parseArgs as parseNodeArgs } from "node:util";
import { createGunzip } from "node:zlib";

export const USAGE = `Usage: npm run import -- <file> [options]

Streams an interaction history file into the backend (POST /api/v1/interactions/import).
NDJSON (one {"user_id","item_id","type","ts",...} object per line) or CSV with a header row
naming the same columns; plain or .gz. Rows without event_id get one from their content, so
importing a file twice adds nothing.

Options:
  --url URL           the backend (default http://127.0.0.1:$PORT, PORT default 8788)
  --key KEY           an admin API key (default $RECS_ADMIN_KEY, else the local stack's)
  --format F          ndjson | csv (default: from the file name)
  --max-bad-rows N    abort, storing nothing, above N bad rows (default: the server's, 1000)
  -h, --help          this text

Exit status: 0 imported, 1 the file or the backend refused it, 2 bad arguments.`;

export interface ImportArgs {
  readonly file: string;
  readonly url: string;
  readonly key: string | null;
  readonly format: "ndjson" | "csv";
  readonly maxBadRows?: number;
}

export type Parsed = { kind: "run"; args: ImportArgs } | { kind: "help" } | { kind: "error"; message: string };

function formatOf(file: string): "ndjson" | "csv" | null {
  const name = file.toLowerCase().replace(/\.gz$/, "");
  if (name.endsWith(".csv")) return "csv";
  if (name.endsWith(".ndjson") || name.endsWith(".jsonl") || name.endsWith(".json")) return "ndjson";
  return null;
}

function localAdminKey(env: NodeJS.ProcessEnv): string | null {
  const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
  const file = join(resolve(env.DATA_DIR || join(root, ".data")), "local-secrets.json");
  if (!existsSync(file)) return null;
  const secrets = JSON.parse(readFileSync(file, "utf8")) as { adminKey?: string };
  return secrets.adminKey ?? null;
}

const OPTIONS = {
  url: { type: "string" },
  key: { type: "string" },
  format: { type: "string" },
  "max-bad-rows": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function readArgs(argv: readonly string[]) {
  return parseNodeArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Parsed {
  let parsed: ReturnType<typeof readArgs>;
  try {
    parsed = readArgs(argv);
  } catch (e) {
    return { kind: "error", message: (e as Error).message.split("\n")[0]! };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (positionals.length !== 1)
    return { kind: "error", message: positionals.length === 0 ? "missing the file to import" : `expected one file, got ${positionals.length}` };
  const file = positionals[0]!;
  const format = values.format ?? formatOf(file);
  if (format !== "ndjson" && format !== "csv") {
    return {
      kind: "error",
      message: values.format ? `--format must be ndjson or csv, got "${values.format}"` : `cannot tell the format of ${file}; pass --format ndjson|csv`,
    };
  }
  const maxText = values["max-bad-rows"];
  if (maxText !== undefined && !/^\d{1,7}$/.test(maxText)) return { kind: "error", message: `--max-bad-rows must be a whole number, got "${maxText}"` };
  const url = (values.url ?? `http://127.0.0.1:${env.PORT || 8788}`).replace(/\/+$/, "");
  const key = values.key ?? env.RECS_ADMIN_KEY ?? localAdminKey(env);
  return { kind: "run", args: { file, url, key, format, ...(maxText !== undefined ? { maxBadRows: Number(maxText) } : {}) } };
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
const count = (n: number) => n.toLocaleString("en-US");

/** The file's bytes as a web stream, counting compressed bytes read for the progress line. */
function fileBody(path: string, onRead: (bytes: number) => void): ReadableStream<Uint8Array> {
  const raw = createReadStream(path);
  raw.on("data", (chunk) => onRead(chunk.length));
  const source = path.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  return Readable.toWeb(source) as ReadableStream<Uint8Array>;
}

export async function main(argv: readonly string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseArgs(argv, env);
  if (parsed.kind === "help") {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === "error") {
    io.err(`import: ${parsed.message}\n\n${USAGE}\n`);
    return 2;
  }
  const { file, url, key, format, maxBadRows } = parsed.args;
  if (!existsSync(file) || !statSync(file).isFile()) {
    io.err(`import: no such file: ${file}\n`);
    return 1;
  }
  if (!key) {
    io.err("import: no API key: pass --key, set RECS_ADMIN_KEY, or start the local stack (npm start) once\n");
    return 1;
  }
  const total = statSync(file).size;
  let read = 0;
  let shown = -1;
  const started = performance.now();
  const progress = (bytes: number) => {
    read += bytes;
    const pct = total === 0 ? 100 : Math.floor((100 * read) / total);
    if (pct === shown) return;
    shown = pct;
    const bar = "#".repeat(Math.floor(pct / 4)).padEnd(25, ".");
    const secs = (performance.now() - started) / 1000;
    io.err(`\r[import] [${bar}] ${String(pct).padStart(3)}%  ${count(Math.round(read / 1024))} KiB sent, ${secs.toFixed(1)} s`);
  };
  const query = maxBadRows !== undefined ? `?max_bad_rows=${maxBadRows}` : "";
  let response: Response;
  try {
    response = await fetch(`${url}/api/v1/interactions/import${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": format === "csv" ? "text/csv" : "application/x-ndjson" },
      body: fileBody(file, progress),
      duplex: "half",
    } as RequestInit);
  } catch (e) {
    io.err(`\nimport: cannot reach ${url}: ${(e as Error).message}\n`);
    return 1;
  }
  io.err(`\n[import] sent; the backend committed in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok || !body) {
    const error = (body?.error ?? {}) as { message?: string; field?: string };
    io.err(`import: ${response.status} ${error.message ?? response.statusText}${error.field ? ` (${error.field})` : ""}\n`);
    return 1;
  }
  const r = body as {
    rows: number;
    stored: number;
    duplicates: number;
    erased: number;
    bad_rows: number;
    users: number;
    rows_per_second: number;
    errors: Array<{ line: number; field: string; reason: string }>;
  };
  io.out(
    `rows ${count(r.rows)}: stored ${count(r.stored)}, already stored ${count(r.duplicates)}, erased users' ${count(r.erased)}, bad ${count(r.bad_rows)}; ${count(r.users)} users; ${count(r.rows_per_second)} rows/s\n`,
  );
  for (const e of r.errors.slice(0, 20)) io.out(`  ${file}:${e.line}: ${e.field} ${e.reason}\n`);
  if (r.errors.length > 20) io.out(`  … and ${count(r.bad_rows - 20)} more bad rows\n`);
  return 0;
}

if (isEntryPoint(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
