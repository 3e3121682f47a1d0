import type { RateLimiter } from "../durable-objects/rate-limiter.js";
import type { UserSession } from "../durable-objects/user-session.js";

/** Bindings and variables of the edge worker; see wrangler.toml and README's configuration table. */
export interface Env {
  USER_SESSION: DurableObjectNamespace<UserSession>;
  /** One token bucket per principal (end user or API key). */
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  CONFIG: KVNamespace;
  ARTIFACTS: R2Bucket;
  EVENTS_QUEUE: Queue<unknown>;
  /** Workers Analytics Engine: one data point per recommendations call (worker/http/serving-analytics.ts); absent, nothing is written. */
  SERVING_ANALYTICS?: AnalyticsEngineDataset;
  ENVIRONMENT: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  /** Item vectors for retrieval over catalogs too large for the isolate (used by learned models). */
  UPSTASH_VECTOR_REST_URL?: string;
  UPSTASH_VECTOR_REST_TOKEN?: string;
  BACKEND_URL: string;
  BACKEND_TOKEN?: string;
  EDGE_ADMIN_TOKEN?: string;
  /** Secret for the keyed hash of user ids in logs and erasure tombstones; required in production. */
  USER_ID_HASH_KEY?: string;
  CORS_ORIGINS: string;
  EVENT_WEIGHTS: string;
  CONSUMED_EVENT_TYPES: string;
  SCORE_WEIGHTS: string;
  MAX_CATEGORY_SHARE: string;
  RETRY_BASE_SECONDS: string;
  /** Share (0..1) of ranked lists logged with their head's ranking features; default 0.1. */
  FEATURE_LOG_SHARE?: string;
  /** End-user JWTs from the customer's identity provider: HS256 shared secret and/or JWKS (RS256/ES256). */
  AUTH_JWT_SECRET?: string;
  AUTH_JWKS?: string;
  AUTH_JWKS_URL?: string;
  AUTH_JWT_ISSUER?: string;
  AUTH_JWT_AUDIENCE?: string;
  /** Signs anonymous session tokens (POST /v1/sessions); the previous one still verifies during rotation. */
  SESSION_TOKEN_SECRET?: string;
  SESSION_TOKEN_SECRET_PREVIOUS?: string;
  SESSION_TOKEN_TTL_SECONDS?: string;
  /** Verifies model manifests (HMAC-SHA256); the previous key still verifies during a rotation. Ids default to a hash of the key. */
  MODEL_SIGNING_KEY?: string;
  MODEL_SIGNING_KEY_ID?: string;
  MODEL_SIGNING_KEY_PREVIOUS?: string;
  MODEL_SIGNING_KEY_PREVIOUS_ID?: string;
  /** Token-bucket limits; the window is a minute unless RATE_LIMIT_WINDOW_SECONDS says otherwise. */
  RATE_LIMIT_USER_PER_MINUTE?: string;
  RATE_LIMIT_KEY_PER_MINUTE?: string;
  RATE_LIMIT_WINDOW_SECONDS?: string;
}
