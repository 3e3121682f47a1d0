import type { UserSession } from "../durable-objects/user-session.js";

/** Bindings and variables of the edge worker; see wrangler.toml and README's configuration table. */
export interface Env {
  USER_SESSION: DurableObjectNamespace<UserSession>;
  CONFIG: KVNamespace;
  ARTIFACTS: R2Bucket;
  EVENTS_QUEUE: Queue<unknown>;
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
}
