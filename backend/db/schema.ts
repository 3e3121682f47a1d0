/**
 * The backend's Postgres schema, as code. drizzle-kit generates the SQL migrations in
 * ./migrations from this file; every driver (PGlite, node-postgres, Neon) uses it.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
// Type-only imports: erased at run time, so drizzle-kit can load this file on its own.
import type { MetricsRow } from "../evaluation/evaluate.js";
import type { ArtifactRole } from "../../models/model-manifest.js";
import type { Experiment, ExperimentStatus } from "../../models/experiments/experiment.js";
import type { SequentialState } from "../../models/experiments/stats/verdict.js";
import type { ModelType } from "../training-jobs/types.js";

/**
 * Millisecond precision, like JavaScript dates: a value read back compares equal to the
 * stored one, which keyset pagination on timestamps relies on.
 */
const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date", precision: 3 });

export const items = pgTable(
  "items",
  {
    itemId: text("item_id").primaryKey(),
    title: text("title").notNull(),
    category: text("category"),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    price: doublePrecision("price"),
    available: boolean("available").notNull().default(true),
    attributes: jsonb("attributes").$type<Record<string, unknown>>(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    // Listing by category pages through item ids; the feature-store re-sync scans by update time.
    index("items_category_item_id_idx").on(t.category, t.itemId),
    index("items_updated_at_idx").on(t.updatedAt),
  ],
);

export const users = pgTable("users", {
  userId: text("user_id").primaryKey(),
  firstSeenAt: timestamptz("first_seen_at").notNull(),
  lastSeenAt: timestamptz("last_seen_at").notNull(),
  eventCount: bigint("event_count", { mode: "number" }).notNull().default(0),
});

export const interactions = pgTable(
  "interactions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    // The edge delivers at least once; this constraint is what makes ingest idempotent.
    eventId: text("event_id").notNull().unique(),
    userId: text("user_id").notNull(),
    itemId: text("item_id").notNull(),
    type: text("type").notNull(),
    value: doublePrecision("value"),
    ts: timestamptz("ts").notNull(),
    sessionId: text("session_id"),
    context: jsonb("context").$type<Record<string, string | number | boolean | null>>(),
    ingestedAt: timestamptz("ingested_at").notNull().defaultNow(),
  },
  (t) => [index("interactions_user_id_ts_idx").on(t.userId, t.ts), index("interactions_item_id_idx").on(t.itemId), index("interactions_ts_idx").on(t.ts)],
);

export const feedback = pgTable(
  "feedback",
  {
    feedbackId: text("feedback_id").primaryKey(),
    requestId: text("request_id").notNull(),
    userId: text("user_id").notNull(),
    itemId: text("item_id").notNull(),
    type: text("type").notNull(),
    ts: timestamptz("ts").notNull(),
  },
  (t) => [index("feedback_request_id_idx").on(t.requestId), index("feedback_user_id_idx").on(t.userId)],
);

/**
 * Events the edge refused (invalid), counted per intake call: the data-quality checks'
 * invalid-event share. The events themselves are not kept. The id is the intake
 * request's, so a redelivered tally counts once.
 */
export const rejectedEvents = pgTable(
  "rejected_events",
  {
    tallyId: text("tally_id").primaryKey(),
    ts: timestamptz("ts").notNull(),
    count: integer("count").notNull(),
    /** Refused events per field named by the error. */
    fields: jsonb("fields").$type<Record<string, number>>().notNull(),
    ingestedAt: timestamptz("ingested_at").notNull().defaultNow(),
  },
  (t) => [index("rejected_events_ts_idx").on(t.ts)],
);

export const servedLists = pgTable(
  "served_lists",
  {
    requestId: text("request_id").primaryKey(),
    userId: text("user_id").notNull(),
    modelVersion: text("model_version").notNull(),
    context: text("context"),
    items: text("items").array().notNull(),
    degraded: text("degraded").array().notNull(),
    ts: timestamptz("ts").notNull(),
    /** The experiment and variant that served the list; null outside experiments (and before the edge sent them). */
    experimentId: text("experiment_id"),
    variant: text("variant"),
    /** Edge time to build the list, for the latency guardrail; null from edges that did not send it. */
    latencyMs: integer("latency_ms"),
    /** The ranker's score of each item when it ordered the list, for the served-score drift; null otherwise. */
    scores: real("scores").array(),
    /** The ranking features of the first 10 items (row-major), on a sampled share of ranked lists; null otherwise. */
    features: real("features").array(),
  },
  (t) => [
    index("served_lists_user_id_idx").on(t.userId),
    index("served_lists_ts_idx").on(t.ts),
    // An experiment's readout starts from its served lists, per variant.
    index("served_lists_experiment_variant_idx").on(t.experimentId, t.variant),
  ],
);

export const apiKeys = pgTable("api_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  // Only the sha256 of a key is stored; the plain key is shown once, at creation.
  keyHash: text("key_hash").notNull().unique(),
  scopes: text("scopes").array().notNull(),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
  expiresAt: timestamptz("expires_at"),
  revokedAt: timestamptz("revoked_at"),
  /** Who created the key (an API key id, or "bootstrap"), for the audit trail. */
  createdBy: text("created_by"),
  /** Set on rotation: the key that replaces this one (this one stays valid until its expiry grace). */
  replacedBy: text("replaced_by"),
});

/**
 * Every administrative action (keys, training, promotion, experiments, erasure): who,
 * what, on which target, from which request. Append-only; never holds secrets or raw
 * user ids (erasure targets are keyed hashes).
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamptz("at").notNull().defaultNow(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
    requestId: text("request_id"),
  },
  (t) => [index("audit_log_at_idx").on(t.at), index("audit_log_action_idx").on(t.action, t.id)],
);

/**
 * This system of record's identity: one row, written when the database is first used.
 * The feature store (Redis) is claimed by it (backend/feature-store/claim-feature-store.ts),
 * so counts, item records and dedupe marks never outlive the database they describe.
 */
export const databaseIdentity = pgTable("database_identity", {
  id: text("id").primaryKey(),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
});

/**
 * Erasure tombstones: a keyed hash of the erased user id and when. Ingest drops events
 * for the user that the edge accepted before that instant, so events still in flight
 * cannot bring erased data back.
 */
export const erasedUsers = pgTable("erased_users", {
  userHash: text("user_hash").primaryKey(),
  erasedAt: timestamptz("erased_at").notNull(),
});

/**
 * Shadow rollouts: a published version scores a sample of live requests next to the
 * champion; its lists are logged (shadow_lists) but never served. At most one runs.
 */
export const shadows = pgTable(
  "shadows",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    version: text("version")
      .notNull()
      .references(() => modelVersions.version),
    championVersion: text("champion_version")
      .notNull()
      .references(() => modelVersions.version),
    samplePercent: integer("sample_percent").notNull(),
    status: text("status").$type<ShadowStatus>().notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    stoppedAt: timestamptz("stopped_at"),
  },
  (t) => [
    index("shadows_version_idx").on(t.version),
    uniqueIndex("shadows_one_running_idx").on(t.status).where(sql`${t.status} = 'running'`),
    check("shadows_status_check", sql`${t.status} in ('running', 'stopped')`),
    check("shadows_sample_percent_check", sql`${t.samplePercent} between 1 and 100`),
  ],
);

/** What a shadow version would have served for a request; joined to served_lists by request id. */
export const shadowLists = pgTable(
  "shadow_lists",
  {
    requestId: text("request_id").notNull(),
    modelVersion: text("model_version").notNull(),
    userId: text("user_id").notNull(),
    items: text("items").array().notNull(),
    latencyMs: integer("latency_ms"),
    ts: timestamptz("ts").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.requestId, t.modelVersion] }),
    index("shadow_lists_user_id_idx").on(t.userId),
    index("shadow_lists_version_ts_idx").on(t.modelVersion, t.ts),
  ],
);

/**
 * Training runs, queued and run one at a time. The table is the queue: it survives a
 * restart, and a row left 'running' by a crashed process is failed at start-up.
 */
export const trainingJobs = pgTable(
  "training_jobs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    status: text("status").$type<TrainingJobStatus>().notNull().default("queued"),
    modelType: text("model_type").$type<ModelType>().notNull(),
    trigger: text("trigger").$type<TrainingTrigger>().notNull(),
    /** ISO-8601 bounds of the interactions to train on: `from` inclusive, `to` exclusive. */
    window: jsonb("window").$type<{ from?: string; to?: string }>().notNull(),
    progress: real("progress").notNull().default(0),
    message: text("message").notNull().default("queued"),
    version: text("version"),
    metrics: jsonb("metrics").$type<MetricsRow[]>(),
    error: text("error"),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    startedAt: timestamptz("started_at"),
    finishedAt: timestamptz("finished_at"),
  },
  (t) => [
    index("training_jobs_status_created_at_idx").on(t.status, t.createdAt),
    index("training_jobs_created_at_idx").on(t.createdAt),
    // One training at a time, even across processes sharing the database.
    uniqueIndex("training_jobs_one_running_idx").on(t.status).where(sql`${t.status} = 'running'`),
    check("training_jobs_status_check", sql`${t.status} in ('queued', 'running', 'succeeded', 'failed')`),
    check("training_jobs_trigger_check", sql`${t.trigger} in ('api', 'schedule', 'startup')`),
    check("training_jobs_progress_check", sql`${t.progress} >= 0 and ${t.progress} <= 1`),
  ],
);

/** The model registry: every trained version, its evaluation, gate decision and lineage. */
export const modelVersions = pgTable(
  "model_versions",
  {
    version: text("version").primaryKey(),
    modelType: text("model_type").$type<ModelType>().notNull(),
    status: text("status").$type<ModelStatus>().notNull(),
    params: jsonb("params").$type<Record<string, unknown>>().notNull(),
    dataWindow: jsonb("data_window").$type<DataWindow>().notNull(),
    /** The evaluation report rows of the version itself. */
    metrics: jsonb("metrics").$type<MetricsRow[]>().notNull(),
    /** Baselines (popularity) scored on the same split, in the same report. */
    baselineMetrics: jsonb("baseline_metrics").$type<MetricsRow[]>().notNull(),
    /** Null until the gates have been applied. */
    gate: jsonb("gate").$type<GateDecision>(),
    artifacts: jsonb("artifacts").$type<StoredArtifact[]>().notNull(),
    manifestSha256: text("manifest_sha256"),
    /** The champion when this version was trained: what its gates compared against. */
    parentVersion: text("parent_version"),
    trainingId: uuid("training_id").references(() => trainingJobs.id, { onDelete: "set null" }),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    publishedAt: timestamptz("published_at"),
    promotedAt: timestamptz("promoted_at"),
  },
  (t) => [
    index("model_versions_created_at_idx").on(t.createdAt),
    // At most one champion: the database, not only the code, refuses a second.
    uniqueIndex("model_versions_one_champion_idx").on(t.status).where(sql`${t.status} = 'champion'`),
    check("model_versions_status_check", sql`${t.status} in ('candidate', 'champion', 'retired', 'rejected', 'failed')`),
  ],
);

/** Audit trail of the registry: who did what to which version, and when. */
export const modelEvents = pgTable(
  "model_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    version: text("version")
      .notNull()
      .references(() => modelVersions.version),
    action: text("action").$type<ModelAction>().notNull(),
    actor: text("actor").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
    at: timestamptz("at").notNull().defaultNow(),
  },
  (t) => [
    index("model_events_version_idx").on(t.version, t.id),
    check(
      "model_events_action_check",
      sql`${t.action} in ('trained', 'published', 'promoted', 'rolled_back', 'rejected', 'canary_started', 'canary_rolled_back', 'canary_ended', 'shadow_started', 'shadow_stopped')`,
    ),
  ],
);

/**
 * A/B experiments. `config` is the whole experiment as the edge receives it (the shared
 * ExperimentSchema, id, salt and status included); the other columns repeat what lists
 * and lifecycle checks filter on and are written together with it.
 */
export const experiments = pgTable(
  "experiments",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    hypothesis: text("hypothesis"),
    status: text("status").$type<ExperimentStatus>().notNull(),
    config: jsonb("config").$type<Experiment>().notNull(),
    /** The always-valid p-values of the last readout, carried into the next (stats/verdict.ts). */
    sequentialState: jsonb("sequential_state").$type<SequentialState>().notNull().default({}),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    startedAt: timestamptz("started_at"),
    stoppedAt: timestamptz("stopped_at"),
  },
  (t) => [
    index("experiments_status_idx").on(t.status),
    index("experiments_created_at_idx").on(t.createdAt),
    check("experiments_status_check", sql`${t.status} in ('draft', 'running', 'stopped')`),
  ],
);

/** Audit trail of the experiments: who created, changed, started, stopped or published what, and when. */
export const experimentEvents = pgTable(
  "experiment_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    experimentId: text("experiment_id")
      .notNull()
      .references(() => experiments.id),
    action: text("action").$type<ExperimentAction>().notNull(),
    actor: text("actor").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
    at: timestamptz("at").notNull().defaultNow(),
  },
  (t) => [
    index("experiment_events_experiment_idx").on(t.experimentId, t.id),
    check(
      "experiment_events_action_check",
      sql`${t.action} in ('created', 'updated', 'started', 'stopped', 'published', 'canary_promoted', 'canary_rolled_back')`,
    ),
  ],
);

/**
 * Canary rollouts (backend/canary/): a published version served to a small share of
 * traffic through an experiment ("control" = the champion, "canary" = the version), then
 * promoted or rolled back automatically. At most one runs at a time: its experiment takes
 * the whole traffic space, and two canaries would compare against each other's champion.
 */
export const canaries = pgTable(
  "canaries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    version: text("version")
      .notNull()
      .references(() => modelVersions.version),
    experimentId: text("experiment_id")
      .notNull()
      .unique()
      .references(() => experiments.id),
    /** The champion when the canary started: the control arm serves it explicitly. */
    championVersion: text("champion_version")
      .notNull()
      .references(() => modelVersions.version),
    trafficPercent: integer("traffic_percent").notNull(),
    /** Impressions each arm needs before the canary may be promoted (a loss may roll it back sooner). */
    minImpressions: integer("min_impressions").notNull(),
    status: text("status").$type<CanaryStatus>().notNull(),
    /** Why it ended: the verdict sentence, or what made the comparison moot. */
    reason: text("reason"),
    createdBy: text("created_by").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    decidedAt: timestamptz("decided_at"),
  },
  (t) => [
    index("canaries_version_idx").on(t.version),
    index("canaries_created_at_idx").on(t.createdAt),
    uniqueIndex("canaries_one_running_idx").on(t.status).where(sql`${t.status} = 'running'`),
    check("canaries_status_check", sql`${t.status} in ('running', 'promoted', 'rolled_back')`),
    check("canaries_traffic_percent_check", sql`${t.trafficPercent} between 1 and 50`),
    check("canaries_min_impressions_check", sql`${t.minImpressions} >= 1`),
  ],
);

/**
 * Webhook subscriptions (backend/webhooks/). The secret signs every delivery; it is
 * shown once at creation and kept here because signing needs it in the clear.
 */
export const webhooks = pgTable("webhooks", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  events: text("events").array().notNull(),
  description: text("description"),
  secret: text("secret").notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
});

/**
 * The outbox and delivery log in one: a row is written in the transaction of the change
 * it announces (so a rolled-back promotion announces nothing), then sent until the
 * receiver answers 2xx or the attempts run out.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    webhookId: text("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    /** Shared by every subscription's copy of one event; receivers deduplicate by it. */
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    status: text("status").$type<WebhookDeliveryStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamptz("next_attempt_at").notNull().defaultNow(),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    deliveredAt: timestamptz("delivered_at"),
  },
  (t) => [
    index("webhook_deliveries_webhook_idx").on(t.webhookId, t.id),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    check("webhook_deliveries_status_check", sql`${t.status} in ('pending', 'delivered', 'failed')`),
  ],
);

export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

export type ExperimentAction = "created" | "updated" | "started" | "stopped" | "published" | "canary_promoted" | "canary_rolled_back";
export type CanaryStatus = "running" | "promoted" | "rolled_back";
export type ShadowStatus = "running" | "stopped";

export type TrainingJobStatus = "queued" | "running" | "succeeded" | "failed";
export type TrainingTrigger = "api" | "schedule" | "startup";
export type ModelStatus = "candidate" | "champion" | "retired" | "rejected" | "failed";
/**
 * canary_rolled_back is not rolled_back: a canary never became champion, so its end must
 * not pop the promotion stack that registry rollbacks replay (model-registry.ts).
 * canary_ended: stopped without a verdict (its experiment stopped by hand, or the
 * champion changed underneath it); the version keeps its status.
 */
export type ModelAction =
  | "trained"
  | "published"
  | "promoted"
  | "rolled_back"
  | "rejected"
  | "canary_started"
  | "canary_rolled_back"
  | "canary_ended"
  | "shadow_started"
  | "shadow_stopped";

/** The interactions a version was trained on (ISO-8601 bounds) and how many there were. */
export interface DataWindow {
  from: string;
  to: string;
  interactions: number;
  users: number;
  items: number;
}

export interface GateDecision {
  passed: boolean;
  reasons: string[];
}

export interface StoredArtifact {
  name: string;
  role: ArtifactRole;
  sha256: string;
  bytes: number;
}

export type ItemRow = typeof items.$inferSelect;
export type InteractionRow = typeof interactions.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type TrainingJobRow = typeof trainingJobs.$inferSelect;
export type ModelVersionRow = typeof modelVersions.$inferSelect;
export type ModelEventRow = typeof modelEvents.$inferSelect;
export type ExperimentRow = typeof experiments.$inferSelect;
export type ExperimentEventRow = typeof experimentEvents.$inferSelect;
export type CanaryRow = typeof canaries.$inferSelect;
export type WebhookRow = typeof webhooks.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
