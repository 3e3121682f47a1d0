import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "node",
    include: ["backend/**/*.test.ts", "models/**/*.test.ts", "scripts/**/*.test.ts", "bench/**/*.test.ts", "test/**/*.test.ts"],
    environment: "node",
    // Both projects share two cores in CI; starting PGlite (its WASM Postgres and the
    // migrations) took over vitest's default 5 s there once. The limits catch a hang,
    // not a slow step: speed lives in bench/.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
