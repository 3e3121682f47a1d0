import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // The pool's own runner defaults to today's date, which can be newer than the
      // bundled workerd supports; pin it to wrangler.toml's.
      miniflare: { compatibilityDate: "2026-04-01", compatibilityFlags: ["nodejs_compat"] },
    }),
  ],
  test: {
    name: "workerd",
    include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts"],
  },
});
