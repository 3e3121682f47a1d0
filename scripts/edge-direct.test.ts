import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startEdgeDirect } from "./edge-direct.js";
import type { EdgeProcess } from "./edge-process.js";
import { ROOT } from "./local-stack.js";

// Port 39951: outside every stack's range (README, "Tests").
describe("the edge in workerd without wrangler dev", () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-direct-"));
  let edge: EdgeProcess | null = null;
  afterAll(async () => {
    await edge?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the deploy bundle with wrangler.toml's bindings and the given vars, and stops", async () => {
    const lines: string[] = [];
    edge = await startEdgeDirect({
      root: ROOT,
      port: 39951,
      inspectorPort: 39952,
      persistTo: dir,
      // Nothing listens on port 9: the health check must say Redis is down, which shows the var reached the worker.
      vars: { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9", UPSTASH_REDIS_REST_TOKEN: "t", ENVIRONMENT: "development" },
      log: (_source, line) => lines.push(line),
    });
    expect(edge.url).toBe("http://127.0.0.1:39951");
    const res = await fetch(`${edge.url}/health`);
    const body = (await res.json()) as { environment: string; dependencies: { redis: string } };
    expect(body.environment).toBe("development");
    expect(body.dependencies.redis).not.toBe("ok");
    expect(lines.some((l) => l.includes("bundled into"))).toBe(true);
    await edge.stop();
    edge = null;
    await expect(fetch("http://127.0.0.1:39951/health", { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 120_000);
});
