/**
 * Entry of the worker thread that runs the Redis REST gateway (gateway-in-thread.ts):
 * starts it with the options in workerData, reports its address, closes on "close".
 */
import { parentPort, workerData } from "node:worker_threads";
import { startRedisGateway, type RedisGatewayOptions } from "./gateway.js";

const port = parentPort!;
try {
  const gateway = await startRedisGateway((workerData as { options: RedisGatewayOptions }).options);
  port.on("message", (m: unknown) => {
    if (m === "close") void gateway.close().finally(() => port.postMessage({ kind: "closed" }));
  });
  port.postMessage({ kind: "ready", url: gateway.url, port: gateway.port });
} catch (error) {
  port.postMessage({ kind: "failed", error: error instanceof Error ? error.message : String(error), code: (error as NodeJS.ErrnoException).code });
}
