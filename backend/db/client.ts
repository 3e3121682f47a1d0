/**
 * Opens the backend's Postgres: one schema, three drivers, picked from DATABASE_URL
 * (see database-target.ts). Everything above this file sees only `Database.db`, typed
 * as drizzle's driver-neutral PgDatabase, so no query is written per driver.
 */
import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { Pool as NeonPool, neonConfig, type WebSocketConstructor } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { drizzle as drizzleNeon, type NeonDatabase } from "drizzle-orm/neon-serverless";
import { drizzle as drizzleNodePg, type NodePgDatabase } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite, type PgliteDatabase } from "drizzle-orm/pglite";
import pg from "pg";
import { describeDatabaseTarget, resolveDatabaseTarget, type DatabaseTarget, type DatabaseTargetOptions } from "./database-target.js";
import * as schema from "./schema.js";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type DatabaseDriver = DatabaseTarget["driver"];

/** The driver-specific drizzle instance; only the migrator needs to know which. */
export type DriverConnection =
  | { driver: "pglite"; db: PgliteDatabase<Schema>; client: PGlite }
  | { driver: "node-postgres"; db: NodePgDatabase<Schema>; client: pg.Pool }
  | { driver: "neon"; db: NeonDatabase<Schema>; client: NeonPool };

export interface Database {
  readonly driver: DatabaseDriver;
  readonly db: Db;
  readonly connection: DriverConnection;
  /** Where it points, password masked, for logs. */
  readonly description: string;
  /** Resolves when a trivial query succeeds; the readiness probe uses it. */
  ping(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}

export interface CreateDatabaseOptions extends DatabaseTargetOptions {
  /** Pool size for the networked drivers. */
  maxConnections?: number;
  /** Called with errors of idle pooled connections, which would otherwise crash the process. */
  onPoolError?: (error: Error) => void;
}

export async function createDatabase(options: CreateDatabaseOptions = {}): Promise<Database> {
  const target = resolveDatabaseTarget(options);
  const connection = await connect(target, options);
  let closed: Promise<void> | null = null;
  return {
    driver: target.driver,
    db: connection.db,
    connection,
    description: describeDatabaseTarget(target),
    async ping() {
      await connection.db.execute(sql`select 1`);
    },
    close() {
      closed ??= closeConnection(connection);
      return closed;
    },
  };
}

async function connect(target: DatabaseTarget, options: CreateDatabaseOptions): Promise<DriverConnection> {
  const onPoolError = options.onPoolError ?? ((error: Error) => console.error(`postgres pool error: ${error.message}`));
  switch (target.driver) {
    case "pglite":
      return connectPglite(target.dataDir);
    case "node-postgres": {
      const client = new pg.Pool({ connectionString: target.url, max: options.maxConnections ?? 10 });
      client.on("error", onPoolError);
      return { driver: "node-postgres", client, db: drizzleNodePg({ client, schema }) };
    }
    case "neon": {
      neonConfig.webSocketConstructor ??= await webSocketConstructor();
      const client = new NeonPool({ connectionString: target.url, max: options.maxConnections ?? 10 });
      client.on("error", onPoolError);
      return { driver: "neon", client, db: drizzleNeon({ client, schema }) };
    }
  }
}

function closeConnection(connection: DriverConnection): Promise<void> {
  return connection.driver === "pglite" ? connection.client.close() : connection.client.end();
}

async function connectPglite(dataDir: string | null): Promise<DriverConnection> {
  if (dataDir !== null) await mkdir(dataDir, { recursive: true });
  const client = dataDir === null ? new PGlite() : new PGlite(dataDir);
  await client.waitReady;
  return { driver: "pglite", client, db: drizzlePglite({ client, schema }) };
}

/**
 * Neon's Pool speaks Postgres over a WebSocket. Node 22 has a global WebSocket; Node 20
 * does not, so the `ws` package (a dependency) stands in.
 */
async function webSocketConstructor(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  const { default: WebSocket } = await import("ws");
  return WebSocket as unknown as WebSocketConstructor;
}
