import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../test-support/postgres.js";
import { createDatabase } from "./client.js";
import { resolveDatabaseTarget } from "./database-target.js";
import { migrateDatabase } from "./migrate.js";
import { items } from "./schema.js";

describe("resolveDatabaseTarget", () => {
  it("defaults to PGlite under DATA_DIR", () => {
    expect(resolveDatabaseTarget({ dataDir: "/tmp/x" })).toEqual({ driver: "pglite", dataDir: "/tmp/x/pglite" });
    expect(resolveDatabaseTarget({ url: "" })).toEqual({ driver: "pglite", dataDir: ".data/pglite" });
  });
  it("reads pglite: and memory:// URLs", () => {
    expect(resolveDatabaseTarget({ url: "memory://" })).toEqual({ driver: "pglite", dataDir: null });
    expect(resolveDatabaseTarget({ url: "pglite:./db" })).toEqual({ driver: "pglite", dataDir: "./db" });
    expect(resolveDatabaseTarget({ url: "pglite://./db" })).toEqual({ driver: "pglite", dataDir: "./db" });
  });
  it("picks node-postgres for postgres URLs and Neon for neon.tech hosts or DATABASE_DRIVER=neon", () => {
    expect(resolveDatabaseTarget({ url: "postgres://u@localhost/db" }).driver).toBe("node-postgres");
    expect(resolveDatabaseTarget({ url: "postgresql://u:p@ep-x.eu-central-1.aws.neon.tech/db" }).driver).toBe("neon");
    expect(resolveDatabaseTarget({ url: "postgres://u@localhost/db", driver: "neon" }).driver).toBe("neon");
  });
  it("rejects other schemes with a clear message", () => {
    expect(() => resolveDatabaseTarget({ url: "mysql://x/y" })).toThrow(/unsupported scheme "mysql:"/);
    expect(() => resolveDatabaseTarget({ url: "not a url" })).toThrow(/not a URL/);
  });
});

async function roundTrip(url: string) {
  const database = await createDatabase({ url });
  try {
    await migrateDatabase(database);
    await migrateDatabase(database); // a second run must be a no-op
    await database.ping();
    await database.db.insert(items).values({ itemId: "i1", title: "Trail shoe", tags: ["a", "b"], attributes: { k: 1 } });
    const rows = await database.db.select().from(items);
    return { driver: database.driver, rows };
  } finally {
    await database.close();
    await database.close(); // idempotent
  }
}

describe("createDatabase + migrateDatabase", () => {
  it("migrates and round-trips on in-memory PGlite", async () => {
    const { driver, rows } = await roundTrip("memory://");
    expect(driver).toBe("pglite");
    expect(rows).toMatchObject([{ itemId: "i1", title: "Trail shoe", tags: ["a", "b"], attributes: { k: 1 }, available: true }]);
    expect(rows[0]?.createdAt).toBeInstanceOf(Date);
  });

  const created: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of created) await drop();
  });

  it("migrates and round-trips on the PostgreSQL server through node-postgres", async () => {
    const testDb = await createTestDatabase();
    created.push(testDb.drop);
    const { driver, rows } = await roundTrip(testDb.url);
    expect(driver).toBe("node-postgres");
    expect(rows).toMatchObject([{ itemId: "i1", tags: ["a", "b"], attributes: { k: 1 } }]);
  });

  it("ping fails once closed", async () => {
    const database = await createDatabase({ url: "memory://" });
    await database.close();
    await expect(database.ping()).rejects.toThrow();
  });
});
