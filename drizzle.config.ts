/**
 * drizzle-kit configuration: `npx drizzle-kit generate` turns backend/db/schema.ts into
 * SQL migrations in backend/db/migrations, which the backend applies at start-up with
 * drizzle's migrator for whichever driver it runs (see backend/db/migrate.ts).
 */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./backend/db/schema.ts",
  out: "./backend/db/migrations",
  strict: true,
  verbose: true,
});
