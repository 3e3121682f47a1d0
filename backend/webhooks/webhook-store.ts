/**
 * Webhook subscriptions and their delivery log in Postgres (tables `webhooks`,
 * `webhook_deliveries`). Deliveries are claimed with FOR UPDATE SKIP LOCKED and a lease,
 * so two backends (or a slow attempt and the next tick) never send the same row at once.
 */
import { randomBytes } from "node:crypto";
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { resultRows } from "../db/result-rows.js";
import { webhookDeliveries, webhooks, type WebhookDeliveryRow, type WebhookRow } from "../db/schema.js";
import { newPayload, PING_EVENT, type WebhookEventType } from "./webhook-events.js";

export interface NewWebhook {
  url: string;
  events: WebhookEventType[];
  description: string | null;
  createdBy: string;
}

export async function createWebhook(db: Db, w: NewWebhook): Promise<WebhookRow> {
  const [row] = await db
    .insert(webhooks)
    .values({ ...w, id: `wh_${randomBytes(8).toString("hex")}`, secret: `whsec_${randomBytes(24).toString("base64url")}` })
    .returning();
  return row!;
}

export async function listWebhooks(db: Db): Promise<WebhookRow[]> {
  return db.select().from(webhooks).orderBy(desc(webhooks.createdAt), desc(webhooks.id));
}

export async function getWebhook(db: Db, id: string): Promise<WebhookRow | null> {
  const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id));
  return row ?? null;
}

/** Its deliveries go with it. */
export async function deleteWebhook(db: Db, id: string): Promise<boolean> {
  return (await db.delete(webhooks).where(eq(webhooks.id, id)).returning({ id: webhooks.id })).length > 0;
}

export async function queuePing(db: Db, webhookId: string): Promise<WebhookDeliveryRow> {
  const payload = newPayload(PING_EVENT, { webhook_id: webhookId });
  const [row] = await db
    .insert(webhookDeliveries)
    .values({ webhookId, eventId: payload.id, eventType: PING_EVENT, payload: payload as unknown as Record<string, unknown> })
    .returning();
  return row!;
}

export async function listDeliveries(db: Db, webhookId: string, limit: number, before?: number): Promise<WebhookDeliveryRow[]> {
  const conditions = [eq(webhookDeliveries.webhookId, webhookId)];
  if (before !== undefined) conditions.push(lt(webhookDeliveries.id, before));
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
}

/** Sends a delivery again from its first attempt (one that failed for good, say); null when it is not this webhook's. */
export async function redeliver(db: Db, webhookId: string, deliveryId: number): Promise<WebhookDeliveryRow | null> {
  const [row] = await db
    .update(webhookDeliveries)
    .set({ status: "pending", attempts: 0, nextAttemptAt: sql`now()`, deliveredAt: null })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.webhookId, webhookId)))
    .returning();
  return row ?? null;
}

export interface DueDelivery {
  id: number;
  attempts: number;
  eventId: string;
  eventType: string;
  payload: Record<string, unknown>;
  url: string;
  secret: string;
}

/** Up to `limit` due deliveries, each leased for `leaseMs` (pushed out of the due window while it is tried). */
export async function claimDue(db: Db, limit: number, leaseMs: number): Promise<DueDelivery[]> {
  const rows = resultRows<{ id: string | number; attempts: number; event_id: string; event_type: string; payload: unknown; url: string; secret: string }>(
    await db.execute(sql`
      WITH due AS (
        SELECT id FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= now()
        ORDER BY next_attempt_at, id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE webhook_deliveries d
      SET next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
      FROM due, webhooks w
      WHERE d.id = due.id AND w.id = d.webhook_id
      RETURNING d.id, d.attempts, d.event_id, d.event_type, d.payload, w.url, w.secret`),
  );
  return rows.map((r) => ({
    id: Number(r.id),
    attempts: r.attempts,
    eventId: r.event_id,
    eventType: r.event_type,
    payload: (typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>,
    url: r.url,
    secret: r.secret,
  }));
}

export type AttemptOutcome = { delivered: true; statusCode: number } | { delivered: false; statusCode: number | null; error: string; retryAt: Date | null };

export async function recordAttempt(db: Db, id: number, outcome: AttemptOutcome): Promise<void> {
  const attempts = sql`${webhookDeliveries.attempts} + 1`;
  if (outcome.delivered) {
    await db
      .update(webhookDeliveries)
      .set({ status: "delivered", attempts, lastStatusCode: outcome.statusCode, lastError: null, deliveredAt: sql`now()` })
      .where(eq(webhookDeliveries.id, id));
    return;
  }
  await db
    .update(webhookDeliveries)
    .set({
      status: outcome.retryAt === null ? "failed" : "pending",
      attempts,
      lastStatusCode: outcome.statusCode,
      lastError: outcome.error.slice(0, 500),
      ...(outcome.retryAt === null ? {} : { nextAttemptAt: outcome.retryAt }),
    })
    .where(eq(webhookDeliveries.id, id));
}
