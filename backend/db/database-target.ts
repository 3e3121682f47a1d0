/**
 * Which Postgres driver a DATABASE_URL means. Kept apart from the drivers themselves so
 * config validation can reject a bad URL at start-up without opening anything.
 */
import path from "node:path";

export type DatabaseTarget = { driver: "pglite"; dataDir: string | null } | { driver: "node-postgres"; url: string } | { driver: "neon"; url: string };

export interface DatabaseTargetOptions {
  /** DATABASE_URL; empty or unset means the embedded PGlite. */
  url?: string | undefined;
  /** DATA_DIR; PGlite keeps its files in `<dataDir>/pglite` unless the URL names a directory. */
  dataDir?: string | undefined;
  /** DATABASE_DRIVER; `neon` forces the Neon driver for a URL whose host does not say so. */
  driver?: string | undefined;
}

const PGLITE_PREFIX = "pglite:";
const MEMORY_URL = "memory://";

export function resolveDatabaseTarget(options: DatabaseTargetOptions): DatabaseTarget {
  const url = (options.url ?? "").trim();
  if (url === "") return { driver: "pglite", dataDir: path.join(options.dataDir ?? ".data", "pglite") };
  if (url === MEMORY_URL) return { driver: "pglite", dataDir: null };
  if (url.startsWith(PGLITE_PREFIX)) return { driver: "pglite", dataDir: pgliteDirectory(url) };

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("DATABASE_URL is not a URL: expected postgres://…, postgresql://…, pglite:<dir> or memory://");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new Error(`DATABASE_URL has unsupported scheme "${parsed.protocol}": expected postgres://, postgresql://, pglite:<dir> or memory://`);
  }
  const neon = options.driver === "neon" || parsed.hostname.endsWith(".neon.tech");
  return neon ? { driver: "neon", url } : { driver: "node-postgres", url };
}

function pgliteDirectory(url: string): string | null {
  // Accept both `pglite:./dir` and `pglite://./dir`; an empty directory means in memory.
  const rest = url.slice(PGLITE_PREFIX.length).replace(/^\/\//, "");
  return rest === "" || rest === "memory" ? null : rest;
}

/** The URL without its password, for logs. */
export function describeDatabaseTarget(target: DatabaseTarget): string {
  if (target.driver === "pglite") return `pglite (${target.dataDir ?? "in memory"})`;
  const parsed = new URL(target.url);
  if (parsed.password) parsed.password = "***";
  return `${target.driver} (${parsed.toString()})`;
}
