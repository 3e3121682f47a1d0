/**
 * The backend's configuration: read from the environment once, validated, typed.
 * A bad value stops start-up with one line naming the variable, never a stack trace
 * from deep inside a driver later on.
 */
import { z } from "zod";
import { DEVELOPMENT_SIGNING_SECRET } from "../models/manifest-signature.js";
import { resolveUserIdHashKey } from "../models/user-hash.js";
import type { DataQualityThresholds } from "./data-quality/data-quality.js";
import { resolveDatabaseTarget } from "./db/database-target.js";

export interface BackendConfig {
  port: number;
  host: string;
  /** Empty means the embedded PGlite under `${dataDir}/pglite`. */
  databaseUrl: string;
  /** DATABASE_DRIVER; only `neon` means anything (forces the Neon driver). */
  databaseDriver: string | undefined;
  dataDir: string;
  redisRestUrl: string;
  redisRestToken: string;
  /** UPSTASH_VECTOR_REST_URL / _TOKEN: where trained item vectors go for large catalogs; empty: versions retrieve in the isolate only. */
  vectorRestUrl: string;
  vectorRestToken: string;
  /** TRAINING: run the training queue and schedule and mount the training and registry API (default true). */
  training: boolean;
  edgeUrl: string;
  /** Empty outside production: the key set is then published without credentials. */
  edgeAdminToken: string;
  /** Empty outside production: the internal endpoints are then open (local development only). */
  backendToken: string;
  /** USER_ID_HASH_KEY: key of the user-id hash in logs and erasure tombstones (same secret as the edge's); required in production. */
  userIdHashKey: string;
  /** MODEL_SIGNING_KEY (and its optional id): signs every manifest published to the edge; required in production. */
  modelSigningKey: { secret: string; id?: string };
  environment: string;
  isProduction: boolean;
  /** Exact origins, or ["*"] for any. */
  corsOrigins: string[];
  /** Seeded with scope `admin` when set, except in production. */
  localAdminKey: string | null;
  /** Seeded with scopes `events:write`, `recs:read` and `recs:bulk` when set, except in production. */
  localClientKey: string | null;
  /** GATE_MAX_REGRESSION: largest relative drop of a gated metric against the champion, in [0, 1). */
  gateMaxRegression: number;
  /** TRAIN_INTERVAL_HOURS: scheduled training period; 0 disables it. */
  trainIntervalHours: number;
  /** TRAIN_ON_START: train at start-up when there is no champion yet. */
  trainOnStart: boolean;
  /**
   * ATTRIBUTION_WINDOW_HOURS: an interaction that names no request is credited to the
   * user's latest served list holding the item, if that list is at most this old.
   */
  attributionWindowHours: number;
  /** CANARY_CHECK_MINUTES: how often running canaries are evaluated (promoted / rolled back); 0 disables the timer. */
  canaryCheckMinutes: number;
  /** DATA_QUALITY_CHECK_MINUTES: how often the data-quality checks run into /metrics and webhooks; 0 disables the timer. */
  dataQualityCheckMinutes: number;
  /** DATA_QUALITY_MAX_UNKNOWN_ITEM_SHARE, DATA_QUALITY_MAX_NEW_USER_SHARE (1 disables), DATA_QUALITY_MAX_INVALID_EVENT_SHARE, DATA_QUALITY_MIN_EVENTS_PER_HOUR (0 disables), DATA_QUALITY_MAX_PSI and DATA_QUALITY_DRIFT_HOURS (input drift). */
  dataQuality: DataQualityThresholds;
  /** WEBHOOK_RETRY_BASE_SECONDS: the wait before a failed webhook delivery's first retry; each further retry doubles it (at most an hour). */
  webhookRetryBaseSeconds: number;
  /** WEBHOOK_MAX_ATTEMPTS: attempts before a delivery is marked failed (it can still be sent again by hand). */
  webhookMaxAttempts: number;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const token = z.string().regex(/^\S*$/, "must not contain whitespace");
const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }).transform((u) => u.replace(/\/+$/, ""));
const flag = z.enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" }).transform((v) => v === "true" || v === "1" || v === "yes");
const origin = z.string().refine(isOrigin, "must be a comma-separated list of origins like https://shop.example (or *)");

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535, "must be a port number (0-65535)").default(8788),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z.string().default(""),
  DATABASE_DRIVER: z.enum(["neon", "node-postgres", "pglite"]).optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  UPSTASH_REDIS_REST_URL: httpUrl.default("http://127.0.0.1:8079"),
  UPSTASH_REDIS_REST_TOKEN: token.default(""),
  UPSTASH_VECTOR_REST_URL: httpUrl.optional(),
  UPSTASH_VECTOR_REST_TOKEN: token.default(""),
  EDGE_URL: httpUrl.default("http://127.0.0.1:8787"),
  EDGE_ADMIN_TOKEN: token.default(""),
  BACKEND_TOKEN: token.default(""),
  ENVIRONMENT: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, "must be a lower-case name such as development, staging or production")
    .default("development"),
  CORS_ORIGINS: z.string().default(""),
  RECS_LOCAL_ADMIN_KEY: token.min(8, "must be at least 8 characters").optional(),
  RECS_LOCAL_CLIENT_KEY: token.min(8, "must be at least 8 characters").optional(),
  GATE_MAX_REGRESSION: z.coerce
    .number({ message: "must be a fraction in [0, 1), e.g. 0.02" })
    .min(0, "must be a fraction in [0, 1), e.g. 0.02")
    .lt(1, "must be a fraction in [0, 1), e.g. 0.02")
    .default(0.02),
  TRAIN_INTERVAL_HOURS: z.coerce
    .number({ message: "must be a number of hours (0 disables scheduled training)" })
    .min(0, "must be a number of hours (0 disables scheduled training)")
    .max(8760, "must be at most 8760 hours (a year)")
    .default(24),
  TRAIN_ON_START: flag.default(true),
  TRAINING: flag.default(true),
  ATTRIBUTION_WINDOW_HOURS: z.coerce
    .number({ message: "must be a number of hours, e.g. 24" })
    .gt(0, "must be more than 0 hours")
    .max(720, "must be at most 720 hours (30 days)")
    .default(24),
  CANARY_CHECK_MINUTES: z.coerce
    .number({ message: "must be a number of minutes (0 disables the canary checks)" })
    .min(0, "must be a number of minutes (0 disables the canary checks)")
    .max(1440, "must be at most 1440 minutes (a day)")
    .default(10),
  DATA_QUALITY_CHECK_MINUTES: z.coerce
    .number({ message: "must be a number of minutes (0 disables the checks' timer)" })
    .min(0, "must be a number of minutes (0 disables the checks' timer)")
    .max(1440, "must be at most 1440 minutes (a day)")
    .default(5),
  DATA_QUALITY_MAX_UNKNOWN_ITEM_SHARE: z.coerce
    .number({ message: "must be a share between 0 and 1" })
    .min(0, "must be a share between 0 and 1")
    .max(1, "must be a share between 0 and 1")
    .default(0.1),
  DATA_QUALITY_MAX_NEW_USER_SHARE: z.coerce
    .number({ message: "must be a share between 0 and 1" })
    .min(0, "must be a share between 0 and 1")
    .max(1, "must be a share between 0 and 1")
    .default(1),
  DATA_QUALITY_MAX_INVALID_EVENT_SHARE: z.coerce
    .number({ message: "must be a share between 0 and 1" })
    .min(0, "must be a share between 0 and 1")
    .max(1, "must be a share between 0 and 1")
    .default(0.05),
  DATA_QUALITY_MIN_EVENTS_PER_HOUR: z.coerce
    .number({ message: "must be a whole number of events (0 disables)" })
    .int("must be a whole number of events (0 disables)")
    .min(0, "must be a whole number of events (0 disables)")
    .default(0),
  DATA_QUALITY_MAX_PSI: z.coerce
    .number({ message: "must be a population stability index, e.g. 0.25" })
    .gt(0, "must be more than 0 (0.1: moderate shifts, 0.25: major ones)")
    .default(0.25),
  DATA_QUALITY_DRIFT_HOURS: z.coerce
    .number({ message: "must be a whole number of hours between 1 and 168" })
    .int("must be a whole number of hours between 1 and 168")
    .min(1, "must be a whole number of hours between 1 and 168")
    .max(168, "must be a whole number of hours between 1 and 168")
    .default(24),
  WEBHOOK_RETRY_BASE_SECONDS: z.coerce
    .number({ message: "must be a number of seconds, e.g. 30" })
    .gt(0, "must be more than 0 seconds")
    .max(3600, "must be at most 3600 seconds (an hour)")
    .default(30),
  WEBHOOK_MAX_ATTEMPTS: z.coerce
    .number({ message: "must be a whole number of attempts, e.g. 8" })
    .int("must be a whole number of attempts, e.g. 8")
    .min(1, "must be at least 1")
    .max(50, "must be at most 50")
    .default(8),
  USER_ID_HASH_KEY: token.min(32, "must be at least 32 characters").optional(),
  MODEL_SIGNING_KEY: token.min(32, "must be at least 32 characters").optional(),
  MODEL_SIGNING_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1–64 letters, digits, '.', '_' or '-'")
    .optional(),
});

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): BackendConfig {
  const parsed = EnvSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${describeIssues(parsed.error)}`);
  const e = parsed.data;
  const isProduction = e.ENVIRONMENT === "production";
  const corsOrigins = parseOrigins(e.CORS_ORIGINS);
  try {
    resolveDatabaseTarget({ url: e.DATABASE_URL, dataDir: e.DATA_DIR, driver: e.DATABASE_DRIVER });
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${(error as Error).message}`);
  }
  if (isProduction) requireProductionSecrets(e.BACKEND_TOKEN, e.EDGE_ADMIN_TOKEN, e.USER_ID_HASH_KEY ?? "", e.MODEL_SIGNING_KEY ?? "");
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseDriver: e.DATABASE_DRIVER,
    dataDir: e.DATA_DIR,
    redisRestUrl: e.UPSTASH_REDIS_REST_URL,
    redisRestToken: e.UPSTASH_REDIS_REST_TOKEN,
    vectorRestUrl: e.UPSTASH_VECTOR_REST_URL ?? "",
    vectorRestToken: e.UPSTASH_VECTOR_REST_TOKEN,
    training: e.TRAINING,
    edgeUrl: e.EDGE_URL,
    edgeAdminToken: e.EDGE_ADMIN_TOKEN,
    backendToken: e.BACKEND_TOKEN,
    userIdHashKey: resolveUserIdHashKey(e.USER_ID_HASH_KEY, isProduction),
    modelSigningKey: { secret: e.MODEL_SIGNING_KEY ?? DEVELOPMENT_SIGNING_SECRET, ...(e.MODEL_SIGNING_KEY_ID ? { id: e.MODEL_SIGNING_KEY_ID } : {}) },
    environment: e.ENVIRONMENT,
    isProduction,
    corsOrigins,
    localAdminKey: isProduction ? null : (e.RECS_LOCAL_ADMIN_KEY ?? null),
    localClientKey: isProduction ? null : (e.RECS_LOCAL_CLIENT_KEY ?? null),
    gateMaxRegression: e.GATE_MAX_REGRESSION,
    trainIntervalHours: e.TRAIN_INTERVAL_HOURS,
    trainOnStart: e.TRAIN_ON_START,
    attributionWindowHours: e.ATTRIBUTION_WINDOW_HOURS,
    canaryCheckMinutes: e.CANARY_CHECK_MINUTES,
    dataQualityCheckMinutes: e.DATA_QUALITY_CHECK_MINUTES,
    dataQuality: {
      maxUnknownItemShare: e.DATA_QUALITY_MAX_UNKNOWN_ITEM_SHARE,
      maxNewUserShare: e.DATA_QUALITY_MAX_NEW_USER_SHARE,
      maxInvalidEventShare: e.DATA_QUALITY_MAX_INVALID_EVENT_SHARE,
      minEvents: e.DATA_QUALITY_MIN_EVENTS_PER_HOUR,
      maxPsi: e.DATA_QUALITY_MAX_PSI,
      driftHours: e.DATA_QUALITY_DRIFT_HOURS,
    },
    webhookRetryBaseSeconds: e.WEBHOOK_RETRY_BASE_SECONDS,
    webhookMaxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
  };
}

/** An empty variable means "use the default", as in most twelve-factor tooling. */
function withoutEmpty(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""));
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ");
}

function parseOrigins(raw: string): string[] {
  const origins = raw
    .split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter((o) => o !== "");
  for (const o of origins) {
    if (!origin.safeParse(o).success) {
      throw new ConfigError(`Invalid configuration: CORS_ORIGINS entry "${o}" is not an origin like https://shop.example (or *)`);
    }
  }
  return origins.includes("*") ? ["*"] : origins;
}

function isOrigin(value: string): boolean {
  if (value === "*") return true;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
}

function requireProductionSecrets(backendToken: string, edgeAdminToken: string, userIdHashKey: string, modelSigningKey: string): void {
  const missing = [
    backendToken === "" ? "BACKEND_TOKEN" : null,
    edgeAdminToken === "" ? "EDGE_ADMIN_TOKEN" : null,
    userIdHashKey === "" ? "USER_ID_HASH_KEY" : null,
    modelSigningKey === "" ? "MODEL_SIGNING_KEY" : null,
  ].filter((name) => name !== null);
  if (missing.length > 0) {
    const names = missing.length > 1 ? `${missing.slice(0, -1).join(", ")} and ${missing.at(-1)}` : missing.join("");
    throw new ConfigError(`Invalid configuration: ${names} must be set when ENVIRONMENT=production`);
  }
}
