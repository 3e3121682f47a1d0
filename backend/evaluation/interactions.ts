/**
 * The one record offline evaluation works on: who touched what, when, and how much it
 * says about interest. Deliberately smaller than `StoredEvent` so that datasets which are
 * not event streams (invoice lines, ratings dumps) can be evaluated with the same code;
 * `fromStoredEvent` maps the service's own events onto it with the shared weights.
 */
import { DEFAULT_EVENT_WEIGHTS, type EventType, type StoredEvent } from "../../models/events.js";

export interface Interaction {
  readonly user_id: string;
  readonly item_id: string;
  /** Epoch milliseconds. */
  readonly ts: number;
  /** Strength of the signal; > 0 is positive feedback, 0 (e.g. dismiss) is not. */
  readonly weight: number;
}

export function isPositive(i: Interaction): boolean {
  return i.weight > 0;
}

export function fromStoredEvent(
  e: Pick<StoredEvent, "user_id" | "item_id" | "ts" | "type">,
  weights: Readonly<Record<EventType, number>> = DEFAULT_EVENT_WEIGHTS,
): Interaction {
  return { user_id: e.user_id, item_id: e.item_id, ts: e.ts, weight: weights[e.type] };
}
