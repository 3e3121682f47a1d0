import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { WORKERD_TEST } from "./test/workerd-test-env.js";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // The pool's own runner defaults to today's date, which can be newer than the
        // bundled workerd supports; pin it to wrangler.toml's.
        compatibilityDate: "2026-04-01",
        compatibilityFlags: ["nodejs_compat"],
        bindings: {
          ...WORKERD_TEST.bindings,
          // The fuzz test's knobs (worker/routes/hostile-fuzz.test.ts), passed through when set.
          ...(process.env.FUZZ_RUNS ? { FUZZ_RUNS: process.env.FUZZ_RUNS } : {}),
          ...(process.env.FUZZ_SEED ? { FUZZ_SEED: process.env.FUZZ_SEED } : {}),
        },
      },
    }),
  ],
  test: {
    name: "workerd",
    include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts"],
    globalSetup: ["./test/workerd-global-setup.ts"],
    testTimeout: 20_000,
    // Request logs are one JSON line each; in tests only warnings and errors are worth showing.
    onConsoleLog: (log) => !log.startsWith('{"level":"info"'),
  },
});
