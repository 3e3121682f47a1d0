/**
 * Interaction events: the one definition shared by the edge (intake validation,
 * session context, real-time features) and the backend (ingest, training).
 *
 * Two shapes exist on purpose. `EventInput` is what clients may send (optional ids,
 * flexible timestamps). `StoredEvent` is what the edge hands on after validation:
 * every field resolved, so every later step (queue, Redis, Postgres) sees the same
 * bytes and `event_id` makes it idempotent.
 */
import { z } from "zod";
import { ExperimentIdSchema, VariantKeySchema } from "./experiments/experiment.js";

export const EVENT_TYPES = ["view", "click", "add_to_cart", "purchase", "rating", "watch", "wishlist", "dismiss"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** How much one event of a type says about interest; popularity and co-occurrence use it. */
export const DEFAULT_EVENT_WEIGHTS: Readonly<Record<EventType, number>> = {
  view: 1,
  click: 3,
  add_to_cart: 5,
  purchase: 10,
  rating: 4,
  watch: 2,
  wishlist: 4,
  dismiss: 0,
};

/** Event types after which an item is not recommended to that user again. */
export const DEFAULT_CONSUMED_TYPES: readonly EventType[] = ["purchase", "rating", "watch"];

export const MAX_EVENTS_PER_REQUEST = 500;
/** Clients' clocks drift; beyond this an event "from the future" is a bug, not skew. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
/** Oldest timestamp accepted (2000-01-01): older is almost surely seconds mistaken for ms. */
export const MIN_EVENT_TS_MS = Date.UTC(2000, 0, 1);
export const MAX_CONTEXT_BYTES = 2048;

const ID_PATTERN = /^[A-Za-z0-9._:@|-]+$/;
/** Ids appear in Redis keys, URLs and logs, so they are short and plain. */
export const IdSchema = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(ID_PATTERN, "may contain only letters, digits and . _ : @ | -");

const ContextSchema = z
  .record(z.string().max(64), z.union([z.string().max(256), z.number(), z.boolean(), z.null()]))
  .refine((c) => Object.keys(c).length <= 32, "must have at most 32 keys")
  .refine((c) => JSON.stringify(c).length <= MAX_CONTEXT_BYTES, `must be at most ${MAX_CONTEXT_BYTES} bytes as JSON`);

/** A timestamp as ISO-8601 text or epoch milliseconds. */
const TimestampSchema = z.union([
  z.number().int("must be whole epoch milliseconds").nonnegative(),
  z.iso.datetime({ offset: true, message: "must be ISO-8601 with a time zone, or epoch milliseconds" }),
]);

export const EventInputSchema = z.strictObject({
  event_id: IdSchema.optional(),
  user_id: IdSchema,
  session_id: IdSchema.optional(),
  item_id: IdSchema,
  type: z.enum(EVENT_TYPES, { message: `must be one of ${EVENT_TYPES.join(", ")}` }),
  value: z.number().finite().min(-1e9).max(1e9).optional(),
  ts: TimestampSchema.optional(),
  context: ContextSchema.optional(),
});
export type EventInput = z.infer<typeof EventInputSchema>;

export const StoredEventSchema = z.strictObject({
  event_id: IdSchema,
  user_id: IdSchema,
  session_id: IdSchema.nullable(),
  item_id: IdSchema,
  type: z.enum(EVENT_TYPES),
  value: z.number().finite().nullable(),
  ts: z.number().int().nonnegative(),
  context: ContextSchema.nullable(),
  /**
   * When the edge accepted the event (epoch ms), set at intake. Erasure compares it with
   * the user's tombstone: an event accepted before the erasure is dropped wherever it
   * arrives later (queue consumer, backend ingest). Absent from edges that predate it.
   */
  received_at: z.number().int().nonnegative().optional(),
});
export type StoredEvent = z.infer<typeof StoredEventSchema>;

export const FEEDBACK_TYPES = ["impression", "click", "conversion", "dismiss"] as const;
export type FeedbackType = (typeof FEEDBACK_TYPES)[number];

export const FeedbackInputSchema = z.strictObject({
  request_id: IdSchema,
  user_id: IdSchema,
  item_id: IdSchema,
  type: z.enum(FEEDBACK_TYPES, { message: `must be one of ${FEEDBACK_TYPES.join(", ")}` }),
  ts: TimestampSchema.optional(),
});
export type FeedbackInput = z.infer<typeof FeedbackInputSchema>;

export const StoredFeedbackSchema = z.strictObject({
  feedback_id: IdSchema,
  request_id: IdSchema,
  user_id: IdSchema,
  item_id: IdSchema,
  type: z.enum(FEEDBACK_TYPES),
  ts: z.number().int().nonnegative(),
  /** When the edge accepted the feedback (epoch ms); see StoredEvent.received_at. */
  received_at: z.number().int().nonnegative().optional(),
});
export type StoredFeedback = z.infer<typeof StoredFeedbackSchema>;

const LatencySchema = z.number().int().nonnegative().max(600_000);

/** Items at the head of a served list: what the drift checks of served scores and features compare. */
export const SERVED_HEAD = 10;
/** Ranking features a served list may carry per head item (the spec has 13). */
const MAX_LOGGED_FEATURES = 64;

/** One recommendation list as served, logged so clicks can be attributed to it. */
export const ServedListSchema = z
  .strictObject({
    request_id: IdSchema,
    user_id: IdSchema,
    model_version: z.string().max(128),
    context: z.string().max(64).nullable(),
    items: z.array(IdSchema).max(1000),
    degraded: z.array(z.string().max(64)).max(32),
    ts: z.number().int().nonnegative(),
    /**
     * The experiment and variant that served the list, so clicks and conversions can be
     * credited to the variant; null (or absent, from edges that predate experiments) when
     * the request was in no experiment.
     */
    experiment: z.strictObject({ id: ExperimentIdSchema, variant: VariantKeySchema }).nullable().optional(),
    /** Edge milliseconds from request to list, for the latency guardrail; absent from older edges. */
    latency_ms: LatencySchema.optional(),
    /** Items of the list per candidate source (an item found by two counts for both), for the serving metrics; absent from older edges. */
    sources: z.record(z.string().regex(/^[a-z_]{1,32}$/, "must be a source name"), z.number().int().min(0).max(1000)).optional(),
    /**
     * The ranker's score of each item, in list order, when the version's ranker ordered the
     * list, for the served-score drift check; absent otherwise and from older edges.
     */
    scores: z.array(z.number().finite()).max(1000).optional(),
    /**
     * The ranker's feature rows of the first SERVED_HEAD items (row-major, in list order),
     * on a sampled share of the lists it ordered, for the ranking-feature drift check.
     */
    features: z
      .array(z.number().finite())
      .max(SERVED_HEAD * MAX_LOGGED_FEATURES)
      .optional(),
  })
  .refine((l) => l.scores === undefined || l.scores.length === l.items.length, {
    message: "must hold one score per item",
    path: ["scores"],
  })
  .refine((l) => l.features === undefined || (l.items.length > 0 && l.features.length % Math.min(l.items.length, SERVED_HEAD) === 0), {
    message: "must hold one row of equal width per head item",
    path: ["features"],
  });
export type ServedList = z.infer<typeof ServedListSchema>;

/** What a shadow model version would have served for a request (models/shadow.ts); never shown to anyone. */
export const ShadowListSchema = z.strictObject({
  request_id: IdSchema,
  user_id: IdSchema,
  model_version: z.string().max(128),
  items: z.array(IdSchema).max(1000),
  latency_ms: LatencySchema,
  ts: z.number().int().nonnegative(),
});
export type ShadowList = z.infer<typeof ShadowListSchema>;

/** Most rows of each kind one ingest call takes; the edge splits a bigger queue batch. */
export const INGEST_MAX_ROWS = 1000;

/**
 * Events the edge refused in one intake call, counted for the data-quality checks (the
 * events themselves are not kept: they are invalid). `fields`: how many were refused for
 * each field named by the error. The id is the intake request's, so a redelivery counts once.
 */
export const RejectedTallySchema = z.strictObject({
  tally_id: IdSchema,
  ts: z.number().int().nonnegative(),
  count: z.number().int().min(1).max(100_000),
  fields: z.record(z.string().max(64), z.number().int().min(1)).refine((f) => Object.keys(f).length <= 32, { message: "must name at most 32 fields" }),
});
export type RejectedTally = z.infer<typeof RejectedTallySchema>;

/** What the edge forwards to the backend's internal ingest endpoint, one batch at a time. */
export const IngestBatchSchema = z.strictObject({
  events: z.array(StoredEventSchema).max(INGEST_MAX_ROWS).default([]),
  feedback: z.array(StoredFeedbackSchema).max(INGEST_MAX_ROWS).default([]),
  served: z.array(ServedListSchema).max(INGEST_MAX_ROWS).default([]),
  shadow: z.array(ShadowListSchema).max(INGEST_MAX_ROWS).default([]),
  rejected: z.array(RejectedTallySchema).max(INGEST_MAX_ROWS).default([]),
});
export type IngestBatch = z.infer<typeof IngestBatchSchema>;

export function timestampToMs(ts: string | number): number {
  return typeof ts === "number" ? ts : Date.parse(ts);
}
