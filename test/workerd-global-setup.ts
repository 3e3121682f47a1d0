/**
 * Node-side setup for the workerd tests: the real Redis behind our Upstash REST
 * gateway, on its own Redis database so these tests do not see (or disturb) the
 * backend's, and the Upstash Vector stand-in (DOT_PRODUCT, as retrieval needs). Ports
 * are fixed because the worker's bindings are set in the config.
 */
import { spawnService } from "./spawn-service.js";
import { WORKERD_TEST } from "./workerd-test-env.js";

export default async function setup(): Promise<() => Promise<void>> {
  const gatewayUrl = WORKERD_TEST.bindings.UPSTASH_REDIS_REST_URL;
  const gateway = await spawnService(
    "backend/redis-gateway/main.ts",
    {
      REDIS_URL: WORKERD_TEST.redisUrl,
      UPSTASH_REDIS_REST_TOKEN: WORKERD_TEST.bindings.UPSTASH_REDIS_REST_TOKEN,
      REDIS_GATEWAY_PORT: String(WORKERD_TEST.gatewayPort),
    },
    `${gatewayUrl}/health`,
  );
  const vectorUrl = WORKERD_TEST.bindings.UPSTASH_VECTOR_REST_URL;
  const vectors = await spawnService(
    "backend/vector-server/main.ts",
    {
      VECTOR_SERVER_PORT: String(WORKERD_TEST.vectorPort),
      UPSTASH_VECTOR_REST_TOKEN: WORKERD_TEST.bindings.UPSTASH_VECTOR_REST_TOKEN,
      VECTOR_SIMILARITY: "DOT_PRODUCT",
    },
    `${vectorUrl}/health`,
  );
  const flushed = await fetch(gatewayUrl, {
    method: "POST",
    headers: { authorization: `Bearer ${WORKERD_TEST.bindings.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(["FLUSHDB"]),
  });
  if (!flushed.ok) throw new Error(`could not flush the test Redis database: ${await flushed.text()}`);
  return async () => {
    await gateway.stop();
    await vectors.stop();
  };
}
