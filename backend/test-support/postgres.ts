/**
 * Test helper: a throw-away database on the local PostgreSQL server, so each test file
 * works on its own data. Created through the `test` database, dropped afterwards.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDatabase, type Database } from "../db/client.js";
import { migrateDatabase } from "../db/migrate.js";

/** The server the tests use; TEST_DATABASE_ADMIN_URL overrides it (a database to connect through). */
export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `recs_test_${randomBytes(6).toString("hex")}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database with the project's migrations applied, opened through the app's own client. */
export async function createMigratedTestDatabase(): Promise<{ testDb: TestDatabase; database: Database }> {
  const testDb = await createTestDatabase();
  const database = await createDatabase({ url: testDb.url, maxConnections: 4 });
  await migrateDatabase(database);
  return { testDb, database };
}
