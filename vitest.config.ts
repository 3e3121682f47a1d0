import { defineConfig } from "vitest/config";

// Two projects: edge code runs inside workerd, backend code in Node against real servers.
export default defineConfig({
  test: {
    projects: ["./vitest.workers.config.ts", "./vitest.node.config.ts"],
  },
});
