/**
 * The backend's Postgres schema, as code. drizzle-kit generates the SQL migrations in
 * ./migrations from this file; every driver (PGlite, node-postgres, Neon) uses it.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

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
  (t) => [
    index("interactions_user_id_ts_idx").on(t.userId, t.ts),
    index("interactions_item_id_idx").on(t.itemId),
    index("interactions_ts_idx").on(t.ts),
  ],
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
  },
  (t) => [index("served_lists_user_id_idx").on(t.userId), index("served_lists_ts_idx").on(t.ts)],
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
});

export type ItemRow = typeof items.$inferSelect;
export type InteractionRow = typeof interactions.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
