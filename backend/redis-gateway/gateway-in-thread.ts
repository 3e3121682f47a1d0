/**
 * The Redis REST gateway on a worker thread of its own, as the local stack runs it. In
 * production Upstash answers from its own machines; on one machine the gateway would
 * otherwise share the backend's event loop, and every served-list insert or import the
 * backend handles would sit in front of the edge's feature reads (the tail of the
 * features stage in bench:recs).
 */
import { Worker } from "node:worker_threads";
import type { RedisGateway, RedisGatewayOptions } from "./gateway.js";

const BOOT = new URL("../thread-boot.mjs", import.meta.url);
const ENTRY = new URL(import.meta.url.endsWith(".ts") ? "./gateway-thread.ts" : "./gateway-thread.js", import.meta.url);

type Reply = { kind: "ready"; url: string; port: number } | { kind: "failed"; error: string; code?: string } | { kind: "closed" };

export function startRedisGatewayInThread(options: RedisGatewayOptions): Promise<RedisGateway> {
  const worker = new Worker(BOOT, { workerData: { entry: ENTRY.href, options } });
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", (m: Reply) => {
      if (m.kind === "ready") resolve({ url: m.url, port: m.port, close: () => closeThread(worker) });
      else {
        void worker.terminate();
        reject(
          Object.assign(new Error(m.kind === "failed" ? m.error : "gateway thread closed before it started"), {
            code: m.kind === "failed" ? m.code : undefined,
          }),
        );
      }
    });
  });
}

function closeThread(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const done = () => void worker.terminate().then(() => resolve());
    worker.once("message", done);
    worker.once("exit", () => resolve());
    worker.postMessage("close");
  });
}
