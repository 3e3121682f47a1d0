/**
 * Webhook subscriptions (scope `admin`): subscribe a URL to model.trained,
 * model.promoted, model.rolled_back, canary.decided and experiment.stopped; list and
 * delete subscriptions; read each one's delivery log; ping it; send a delivery again.
 * Every change is audited. Deliveries are signed (backend/webhooks/webhook-signature.ts)
 * and retried with back-off by the dispatcher (backend/webhooks/webhook-dispatcher.ts).
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { audit } from "../audit/audit-trail.js";
import type { RequireScope } from "../auth/require-scope.js";
import type { Db } from "../db/client.js";
import { ApiError, errorResponses } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import { actorOf } from "../http/request-actor.js";
import { createWebhook, deleteWebhook, getWebhook, listDeliveries, listWebhooks, queuePing, redeliver } from "../webhooks/webhook-store.js";
import {
  DeliveryPageSchema,
  DeliveryParamsSchema,
  DeliveryQuerySchema,
  DeliverySchema,
  toDeliveryJson,
  toWebhookJson,
  webhookCreateSchema,
  WebhookCreatedSchema,
  WebhookListSchema,
  WebhookParamsSchema,
  WebhookSchema,
} from "./webhook-schemas.js";

export interface WebhookRouteDeps {
  db: Db;
  requireScope: RequireScope;
  isProduction: boolean;
}

const json = <T>(schema: T) => ({ "application/json": { schema } });
const TAGS = ["webhooks"];
const BASE = "/api/v1/webhooks";

export function webhookRoutes(deps: WebhookRouteDeps): OpenAPIHono<AppEnv> {
  const app = openApiApp();
  const existing = async (id: string) => {
    const row = await getWebhook(deps.db, id);
    if (!row) throw new ApiError(404, "not_found", `no webhook "${id}"`, "id");
    return row;
  };

  app.openapi(
    createRoute({
      method: "post",
      path: BASE,
      summary: "Subscribe a URL to events",
      description:
        "Answers with the signing secret, shown only this once. Each event is POSTed as JSON `{ id, type, created_at, data }` " +
        'with `X-Recs-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, `X-Recs-Event` and `X-Recs-Event-Id`; ' +
        "a receiver answers 2xx, anything else is retried with back-off.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { body: { required: true, content: json(webhookCreateSchema(deps.isProduction)) } },
      responses: { 201: { description: "Subscribed", content: json(WebhookCreatedSchema) }, ...errorResponses(400, 401, 403, 415) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const row = await createWebhook(deps.db, { url: body.url, events: body.events, description: body.description ?? null, createdBy: actorOf(c) });
      // The URL's host only: a path or query may carry a receiver's own token.
      await audit(c, "webhook.create", row.id, { host: new URL(row.url).host, events: row.events });
      return c.json({ ...toWebhookJson(row), secret: row.secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: BASE,
      summary: "Webhook subscriptions, newest first (never their secrets)",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      responses: { 200: { description: "Subscriptions", content: json(WebhookListSchema) }, ...errorResponses(401, 403) },
    }),
    async (c) => c.json({ webhooks: (await listWebhooks(deps.db)).map(toWebhookJson) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: `${BASE}/{id}`,
      summary: "One webhook subscription (never its secret)",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { params: WebhookParamsSchema },
      responses: { 200: { description: "The subscription", content: json(WebhookSchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(toWebhookJson(await existing(c.req.valid("param").id)), 200),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: `${BASE}/{id}`,
      summary: "Delete a subscription and its delivery log",
      description: "Deliveries still pending are not sent.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { params: WebhookParamsSchema },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await deleteWebhook(deps.db, id))) throw new ApiError(404, "not_found", `no webhook "${id}"`, "id");
      await audit(c, "webhook.delete", id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: `${BASE}/{id}/deliveries`,
      summary: "A subscription's deliveries, newest first",
      description: "Each with its status (pending, delivered, failed), attempts, the receiver's last answer and the payload sent.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { params: WebhookParamsSchema, query: DeliveryQuerySchema },
      responses: { 200: { description: "One page", content: json(DeliveryPageSchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { limit, before } = c.req.valid("query");
      await existing(id);
      const rows = await listDeliveries(deps.db, id, limit, before);
      return c.json({ deliveries: rows.map(toDeliveryJson), next_before: rows.length === limit ? (rows.at(-1)?.id ?? null) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${BASE}/{id}/ping`,
      summary: "Send a webhook.ping event to this subscription",
      description: "Queued like any event; its delivery shows in the log.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { params: WebhookParamsSchema },
      responses: { 202: { description: "Queued", content: json(DeliverySchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await existing(id);
      const row = await queuePing(deps.db, id);
      await audit(c, "webhook.ping", id, { delivery_id: row.id });
      return c.json(toDeliveryJson(row), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${BASE}/{id}/deliveries/{delivery}/redeliver`,
      summary: "Send a delivery again, from its first attempt",
      description: "For one that failed for good (or was delivered and is wanted again); the receiver sees the same event id.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { params: DeliveryParamsSchema },
      responses: { 202: { description: "Queued", content: json(DeliverySchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id, delivery } = c.req.valid("param");
      const row = await redeliver(deps.db, id, delivery);
      if (!row) throw new ApiError(404, "not_found", `no delivery ${delivery} of webhook "${id}"`, "delivery");
      await audit(c, "webhook.redeliver", id, { delivery_id: delivery, event_id: row.eventId });
      return c.json(toDeliveryJson(row), 202);
    },
  );

  return app;
}
