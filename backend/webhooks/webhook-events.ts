/**
 * What the backend announces to webhook subscribers, and the outbox write that does it.
 * `emitWebhookEvent` runs inside the transaction of the change it announces: a change
 * that rolls back announces nothing, and one that commits is announced even if the
 * process dies before sending (the dispatcher picks the row up).
 */
import { randomUUID } from "node:crypto";
import { arrayContains } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { webhookDeliveries, webhooks } from "../db/schema.js";

export const WEBHOOK_EVENTS = ["model.trained", "model.promoted", "model.rolled_back", "canary.decided", "experiment.stopped", "data_quality.alert"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
/** Sent only by the ping route, to the one subscription it names. */
export const PING_EVENT = "webhook.ping";

export interface WebhookPayload {
  id: string;
  type: WebhookEventType | typeof PING_EVENT;
  created_at: string;
  data: Record<string, unknown>;
}

export function newPayload(type: WebhookPayload["type"], data: Record<string, unknown>, now = new Date()): WebhookPayload {
  return { id: `evt_${randomUUID().replaceAll("-", "")}`, type, created_at: now.toISOString(), data };
}

/** Queues one delivery per subscription to `type`; returns how many. */
export async function emitWebhookEvent(db: Db, type: WebhookEventType, data: Record<string, unknown>): Promise<number> {
  const subscribers = await db
    .select({ id: webhooks.id })
    .from(webhooks)
    .where(arrayContains(webhooks.events, [type]));
  if (subscribers.length === 0) return 0;
  const payload = newPayload(type, data);
  await db
    .insert(webhookDeliveries)
    .values(subscribers.map((s) => ({ webhookId: s.id, eventId: payload.id, eventType: type, payload: payload as unknown as Record<string, unknown> })));
  return subscribers.length;
}
