import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "node",
    include: ["backend/**/*.test.ts", "models/**/*.test.ts", "scripts/**/*.test.ts", "bench/**/*.test.ts", "test/**/*.test.ts"],
    environment: "node",
  },
});
