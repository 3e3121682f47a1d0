/**
 * Addresses and secrets shared by the workerd test config and its Node-side setup.
 * WORKERD_TEST_SLOT (0–4, default 0) shifts the ports and the Redis database, so
 * several workerd runs can share a machine (parallel work in separate checkouts).
 */
const slot = Number(process.env.WORKERD_TEST_SLOT ?? "0");
if (!Number.isInteger(slot) || slot < 0 || slot > 4) throw new Error("WORKERD_TEST_SLOT must be an integer from 0 to 4");
const shift = slot * 1000;
const redisDb = [7, 12, 13, 14, 15][slot]!;

export const WORKERD_TEST = {
  redisUrl: `redis://127.0.0.1:6379/${redisDb}`,
  gatewayPort: 18079 + shift,
  vectorPort: 18790 + shift,
  backendPort: 18788 + shift,
  bindings: {
    UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${18079 + shift}`,
    UPSTASH_REDIS_REST_TOKEN: "workerd-test-redis-token",
    UPSTASH_VECTOR_REST_URL: `http://127.0.0.1:${18790 + shift}`,
    UPSTASH_VECTOR_REST_TOKEN: "workerd-test-vector-token",
    BACKEND_URL: `http://127.0.0.1:${18788 + shift}`,
    BACKEND_TOKEN: "workerd-test-backend-token",
    EDGE_ADMIN_TOKEN: "workerd-test-edge-admin-token",
    RETRY_BASE_SECONDS: "1",
    // End-user tokens: test-only values; tests sign their own tokens with them.
    AUTH_JWT_SECRET: "workerd-test-idp-shared-secret-0123456789abcdef",
    AUTH_JWT_ISSUER: "https://idp.workerd.test/",
    AUTH_JWT_AUDIENCE: "edge-recs-workerd-test",
    SESSION_TOKEN_SECRET: "workerd-test-session-secret-0123456789abcdef",
    MODEL_SIGNING_KEY: "workerd-test-model-signing-key-0123456789abcdef",
    // The whole suite shares a few fixture keys; rate-limit tests set their own limits.
    RATE_LIMIT_KEY_PER_MINUTE: "1000000",
  },
} as const;
