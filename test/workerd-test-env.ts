/** Addresses and secrets shared by the workerd test config and its Node-side setup. */
export const WORKERD_TEST = {
  redisUrl: "redis://127.0.0.1:6379/7",
  gatewayPort: 18079,
  vectorPort: 18790,
  backendPort: 18788,
  bindings: {
    UPSTASH_REDIS_REST_URL: "http://127.0.0.1:18079",
    UPSTASH_REDIS_REST_TOKEN: "workerd-test-redis-token",
    UPSTASH_VECTOR_REST_URL: "http://127.0.0.1:18790",
    UPSTASH_VECTOR_REST_TOKEN: "workerd-test-vector-token",
    BACKEND_URL: "http://127.0.0.1:18788",
    BACKEND_TOKEN: "workerd-test-backend-token",
    EDGE_ADMIN_TOKEN: "workerd-test-edge-admin-token",
    RETRY_BASE_SECONDS: "1",
  },
} as const;
