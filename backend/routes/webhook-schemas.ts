/** Request and response schemas of the webhook API (documented in /openapi.json). */
import { z } from "@hono/zod-openapi";
import { wholeNumberParam } from "../../models/whole-number-param.js";
import type { WebhookDeliveryRow, WebhookRow } from "../db/schema.js";
import { limitParam } from "../http/query-params.js";
import { WEBHOOK_EVENTS } from "../webhooks/webhook-events.js";

const EVENTS_MESSAGE = `must be one of ${WEBHOOK_EVENTS.join(", ")}`;
const URL_MESSAGE = "must be an absolute http:// or https:// URL of at most 2048 characters";

/** `https:` only in production: the payload and its signature must not travel in the clear. */
export function webhookCreateSchema(isProduction: boolean) {
  const schemes = isProduction ? ["https:"] : ["https:", "http:"];
  return z
    .strictObject({
      url: z
        .string()
        .max(2048, URL_MESSAGE)
        .refine(
          (v) => {
            try {
              const u = new URL(v);
              return schemes.includes(u.protocol) && u.username === "" && u.password === "";
            } catch {
              return false;
            }
          },
          isProduction ? "must be an https:// URL without credentials (production)" : URL_MESSAGE,
        )
        .openapi({ description: "Receives a POST per event; https only in production", example: "https://ops.example.com/hooks/recs" }),
      events: z
        .array(z.enum(WEBHOOK_EVENTS, { message: EVENTS_MESSAGE }))
        .min(1, "must name at least one event")
        .max(WEBHOOK_EVENTS.length)
        .refine((e) => new Set(e).size === e.length, { message: "must not repeat an event" })
        .openapi({ description: `Any of ${WEBHOOK_EVENTS.join(", ")}`, example: ["model.promoted", "model.rolled_back"] }),
      description: z
        .string()
        .trim()
        .max(200, "must be at most 200 characters")
        .regex(/^[^\p{Cc}]*$/u, "must not contain control characters")
        .optional()
        .openapi({ example: "ops chat channel" }),
    })
    .openapi("WebhookCreateRequest");
}

export const WebhookParamsSchema = z.object({
  id: z
    .string()
    .regex(/^wh_[0-9a-f]{16}$/, "must be a webhook id (wh_ and 16 hex digits)")
    .openapi({ param: { name: "id", in: "path" }, example: "wh_3f2a9c1d0b7e4a56" }),
});

export const DeliveryParamsSchema = WebhookParamsSchema.extend({
  delivery: wholeNumberParam(1, 999_999_999_999_999, "must be a positive integer (a delivery id)").openapi({
    param: { name: "delivery", in: "path" },
    example: 42,
  }),
});

export const DeliveryQuerySchema = z.object({
  limit: limitParam(500, 50),
  before: wholeNumberParam(1, 999_999_999_999_999, "must be a positive integer (a delivery id)")
    .optional()
    .openapi({ description: "Only deliveries older than this id: pass the previous page's `next_before`" }),
});

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Webhook");

export const WebhookCreatedSchema = WebhookSchema.extend({
  secret: z.string().openapi({ description: "Signs every delivery (X-Recs-Signature); shown only this once" }),
}).openapi("WebhookCreated");

export const WebhookListSchema = z.object({ webhooks: z.array(WebhookSchema) }).openapi("WebhookList");

export const DeliverySchema = z
  .object({
    id: z.number().int(),
    event_id: z.string().openapi({ description: "The same for every subscription's copy of one event; deduplicate by it" }),
    event_type: z.string(),
    status: z.enum(["pending", "delivered", "failed"]).openapi({ description: "failed: every attempt failed; POST …/redeliver sends it again" }),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable().openapi({ format: "date-time", description: "When it is tried next; null unless pending" }),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
    delivered_at: z.string().nullable().openapi({ format: "date-time" }),
    payload: z.record(z.string(), z.unknown()).openapi({ description: "The JSON body sent: id, type, created_at, data" }),
  })
  .openapi("WebhookDelivery");

export const DeliveryPageSchema = z
  .object({
    deliveries: z.array(DeliverySchema),
    next_before: z.number().int().nullable().openapi({ description: "`before` for the next (older) page; null on the last page" }),
  })
  .openapi("WebhookDeliveryPage");

export function toWebhookJson(row: WebhookRow): z.infer<typeof WebhookSchema> {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
  };
}

export function toDeliveryJson(row: WebhookDeliveryRow): z.infer<typeof DeliverySchema> {
  return {
    id: row.id,
    event_id: row.eventId,
    event_type: row.eventType,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === "pending" ? row.nextAttemptAt.toISOString() : null,
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    created_at: row.createdAt.toISOString(),
    delivered_at: row.deliveredAt?.toISOString() ?? null,
    payload: row.payload,
  };
}
