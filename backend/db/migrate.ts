/**
 * Applies the committed drizzle-kit migrations (./migrations) with the migrator that
 * matches the open driver. Safe to run on every start: applied migrations are skipped.
 */
import { fileURLToPath } from "node:url";
import { migrate as migrateNeon } from "drizzle-orm/neon-serverless/migrator";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { Database } from "./client.js";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));

export async function migrateDatabase(database: Database): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  const connection = database.connection;
  switch (connection.driver) {
    case "pglite":
      return migratePglite(connection.db, config);
    case "node-postgres":
      return migrateNodePg(connection.db, config);
    case "neon":
      return migrateNeon(connection.db, config);
  }
}
