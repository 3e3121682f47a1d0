/**
 * Request and response schemas of the public edge API. They validate input and,
 * through @hono/zod-openapi, generate the OpenAPI document at /openapi.json.
 */
import { z } from "@hono/zod-openapi";
import { POPULARITY_WINDOWS } from "../../models/feature-keys.js";
import { IdSchema } from "../../models/events.js";
import { wholeNumberParam } from "../../models/whole-number-param.js";

export const MAX_LIMIT = 100;
export const MAX_BULK_USERS = 1000;

export const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) }).openapi("Error");

export const UserIdParam = z.object({ userId: IdSchema.openapi({ param: { name: "userId", in: "path" }, example: "user-42" }) });
export const ItemIdParam = z.object({ itemId: IdSchema.openapi({ param: { name: "itemId", in: "path" }, example: "item-7" }) });

const Limit = wholeNumberParam(1, MAX_LIMIT).default(10);

const ExcludeList = z
  .string()
  .max(8192)
  .transform((s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(IdSchema).max(200, "must list at most 200 ids"));

export const RecsQuery = z.object({
  limit: Limit.optional(),
  context: z.string().max(64).optional().openapi({ example: "home" }),
  item_id: IdSchema.optional().openapi({ description: "The item being viewed (product page); seeds the list and is excluded." }),
  category: z.string().min(1).max(128).optional(),
  exclude: ExcludeList.optional().openapi({ type: "string", description: "Comma-separated item ids to leave out." }),
  experiment_id: z.string().min(1).max(64).optional().openapi({ description: "Only this running experiment may serve the request." }),
  variant: z.string().min(1).max(32).optional().openapi({
    description: "QA override, with experiment_id: serve this variant without storing or attributing it.",
  }),
});

export const ExperimentRef = z
  .object({ id: z.string(), variant: z.string() })
  .nullable()
  .openapi("ExperimentRef", { description: "The experiment and variant serving this list (also in X-Experiment: <id>:<variant>); null when none." });

export const RecItemSchema = z
  .object({
    item_id: z.string(),
    score: z.number(),
    sources: z.array(z.enum(["cf", "similar", "co_view", "co_purchase", "trending", "popular"])).openapi({
      description:
        "Candidate sources that proposed the item: cf = retrieval from the user's folded-in vector, similar = the model's item-to-item neighbours of recent items, co_view/co_purchase = real-time co-occurrence, trending/popular = decayed popularity.",
    }),
    reason: z.string(),
    title: z.string().optional(),
    category: z.string().nullable().optional(),
  })
  .openapi("RecommendedItem");

export const RecsResponse = z
  .object({
    request_id: z.string(),
    user_id: z.string(),
    model_version: z.string(),
    experiment: ExperimentRef,
    items: z.array(RecItemSchema),
    degraded: z.array(z.string()).openapi({ description: "Stages that failed and fell back, e.g. features, session." }),
    personalised: z.boolean().openapi({
      description:
        "False when no personal data shaped the list: the user turned personalisation off (PUT /v1/users/{userId}/consent; trending and popular items only, no history, no experiment) or the session was unreadable (see `degraded`).",
    }),
  })
  .openapi("Recommendations");

export const BulkRequest = z
  .strictObject({
    user_ids: z.array(IdSchema).min(1, "must hold at least one user id").max(MAX_BULK_USERS, `must hold at most ${MAX_BULK_USERS} user ids`),
    limit: Limit.optional(),
    context: z.string().max(64).optional(),
  })
  .openapi("BulkRecommendationsRequest");

export const BulkResponse = z
  .object({
    request_id: z.string(),
    model_version: z.string(),
    experiment: z.null(),
    results: z.array(
      z.object({ user_id: z.string(), request_id: z.string(), items: z.array(RecItemSchema), degraded: z.array(z.string()), personalised: z.boolean() }),
    ),
  })
  .openapi("BulkRecommendations");

export const ItemListQuery = z.object({ limit: Limit.optional() });

export const RelatedItemSchema = z
  .object({ item_id: z.string(), score: z.number(), title: z.string().optional(), category: z.string().nullable().optional() })
  .openapi("RelatedItem");

export const ItemListResponse = z
  .object({
    item_id: z.string(),
    model_version: z.string().openapi({ description: "The model version whose neighbours were used, or heuristic-v1 (real-time co-occurrence only)." }),
    items: z.array(RelatedItemSchema),
    degraded: z.array(z.string()),
  })
  .openapi("RelatedItems");

export const PopularQuery = z.object({
  window: z
    .enum(POPULARITY_WINDOWS, { message: `must be one of ${POPULARITY_WINDOWS.join(", ")}` })
    .default("24h")
    .optional(),
  category: z.string().min(1).max(128).optional(),
  limit: Limit.optional(),
});

export const PopularResponse = z
  .object({ window: z.string(), category: z.string().nullable(), items: z.array(RelatedItemSchema), degraded: z.array(z.string()) })
  .openapi("PopularItems");

export const EventsRequestDoc = z
  .object({ events: z.array(z.record(z.string(), z.unknown())).max(500) })
  .openapi("EventsRequest", { description: "Up to 500 events; each is validated on its own (see EventInput in the README)." });

/** Valid input deliberately not stored; present only when non-empty. */
const IgnoredList = z
  .array(z.object({ index: z.number().int(), reason: z.enum(["consent"]) }))
  .openapi({ description: "Valid entries stored nowhere on purpose: `consent` = the user turned personalisation off. Not errors; do not retry." });

export const EventsResponse = z
  .object({
    accepted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.array(z.object({ index: z.number().int(), error: z.string() })),
    ignored: IgnoredList.optional(),
    degraded: z.array(z.string()).optional(),
  })
  .openapi("EventsAccepted");

export const FeedbackResponse = z.object({ accepted: z.number().int(), feedback_id: z.string(), ignored: IgnoredList.optional() }).openapi("FeedbackAccepted");

export const EraseResponse = z
  .object({
    user_id: z.string(),
    user_hash: z.string().openapi({ description: "Keyed hash of the user id: what tombstones and logs hold instead of the id" }),
    erased_at: z.string().openapi({ format: "date-time", description: "The erasure time; rows accepted at or before it are dropped wherever they arrive" }),
    erased: z.record(z.string(), z.record(z.string(), z.number())).openapi({
      description: "Per store that answered (session, redis, postgres, dead_letters): counts of what it removed",
    }),
    tombstones: z.array(z.string()).openapi({ description: "Stores now holding the tombstone (session, redis, postgres)" }),
    degraded: z.array(z.string()).openapi({ description: "Stores that could not be reached or failed: call again (idempotent)" }),
  })
  .openapi("UserErased");

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

/** Routes an end user may call with their own token as well as with an API key. */
export const keyOrUserToken: Array<Record<string, string[]>> = [{ apiKey: [] }, { endUserToken: [] }];

export const errorResponses = {
  400: jsonContent(ErrorSchema, "Invalid input; `field` names the problem"),
  401: jsonContent(ErrorSchema, "Missing or invalid credential; `code` names the failed check (token_expired, token_wrong_audience, ...)"),
  403: jsonContent(ErrorSchema, "The key lacks the scope, or an end-user token acts for another user"),
  429: jsonContent(ErrorSchema, "Over the caller's rate limit; see Retry-After and the RateLimit-* headers"),
} as const;
