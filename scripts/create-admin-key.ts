/**
 * The first admin key of a deployment (production never seeds the local keys):
 *
 *   DATABASE_URL=postgres://… npm run create-admin-key -- [--name ops] [--environment production]
 *
 * Writes the key's sha256 straight into the database, audits it (actor `bootstrap`)
 * and prints the key once. Further keys are made with it through `POST /api/v1/keys`;
 * the backend publishes the key set to the edge within a minute.
 */
import { parseArgs } from "node:util";
import { recordAudit } from "../backend/audit/audit-log.js";
import { createApiKey } from "../backend/auth/api-key-store.js";
import { createDatabase } from "../backend/db/client.js";
import { migrateDatabase } from "../backend/db/migrate.js";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { name: { type: "string", default: "bootstrap admin" }, environment: { type: "string", default: "production" } } });
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("DATABASE_URL must name the production database (Neon's connection string)");
    process.exit(2);
  }
  const database = await createDatabase({ url });
  try {
    await migrateDatabase(database);
    const created = await createApiKey(database.db, { name: values.name, scopes: ["admin"], environment: values.environment, createdBy: "bootstrap" });
    await recordAudit(database.db, { actor: "bootstrap", action: "key.create", target: created.id, detail: { name: values.name, scopes: ["admin"] } });
    console.log(`admin key ${created.id} (${values.name}), shown only this once:\n${created.key}`);
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(`could not create the key: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
