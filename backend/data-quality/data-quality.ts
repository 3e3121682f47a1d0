/**
 * Data-quality checks over the last hours of stored events, the ones an ML platform
 * runs before trusting its features: event volume by type, the share of events naming
 * items the catalog does not hold (a client sending wrong ids, or a catalog sync that
 * stopped), and the share from users first seen in the window (a client that lost its
 * user ids sends every event as a new user), and the share of events the edge refused
 * as invalid (a client sending a wrong shape). Thresholds turn the figures into alerts.
 * The window is by event time, which the interactions' index covers. Pure: the
 * figures come from window-stats.ts (SQL), so the dashboard can share these types.
 */

export interface DataQualityThresholds {
  /** Alert above this share of events for items not in the catalog. */
  maxUnknownItemShare: number;
  /** Alert above this share of events from users first seen in the window; 1 disables. */
  maxNewUserShare: number;
  /** Alert above this share of received events the edge refused as invalid. */
  maxInvalidEventShare: number;
  /** Alert below this many events in the window; 0 disables. */
  minEvents: number;
  /** Alert when a monitored input's PSI against the champion's training window exceeds this (drift.ts). */
  maxPsi: number;
  /** The window of recent events the drift check compares. */
  driftHours: number;
}

export const DEFAULT_THRESHOLDS: DataQualityThresholds = {
  maxUnknownItemShare: 0.1,
  maxNewUserShare: 1,
  maxInvalidEventShare: 0.05,
  minEvents: 0,
  maxPsi: 0.25,
  driftHours: 24,
};
/** Shares of fewer events than this say little; their checks wait for more. */
export const MIN_EVENTS_FOR_SHARES = 20;

export type CheckName = "unknown_items" | "new_users" | "invalid_events" | "low_volume" | "drift";

export interface Alert {
  check: CheckName;
  /** For drift: the input that moved. */
  feature?: string;
  value: number;
  threshold: number;
  message: string;
}

export interface WindowStats {
  from: Date;
  to: Date;
  byType: Record<string, number>;
  events: number;
  unknownItemEvents: number;
  newUserEvents: number;
  /** Events the edge refused as invalid in the window, and per field their errors named. */
  invalidEvents: number;
  invalidByField: Record<string, number>;
}

export interface DataQualityReport {
  from: string;
  to: string;
  events: number;
  by_type: Record<string, number>;
  unknown_item_share: number | null;
  new_user_share: number | null;
  /** Refused ÷ (stored + refused); null when nothing arrived. */
  invalid_event_share: number | null;
  invalid_by_field: Record<string, number>;
  alerts: Alert[];
}

export function alertsFor(s: WindowStats, t: DataQualityThresholds): Alert[] {
  const alerts: Alert[] = [];
  if (t.minEvents > 0 && s.events < t.minEvents) {
    alerts.push({ check: "low_volume", value: s.events, threshold: t.minEvents, message: `${s.events} events in the window, fewer than ${t.minEvents}` });
  }
  // Of everything received: a client whose every event is refused stores none at all.
  const received = s.events + s.invalidEvents;
  const invalid = received === 0 ? 0 : s.invalidEvents / received;
  if (received >= MIN_EVENTS_FOR_SHARES && invalid > t.maxInvalidEventShare) {
    alerts.push({
      check: "invalid_events",
      value: invalid,
      threshold: t.maxInvalidEventShare,
      message: `${percent(invalid)} of received events were refused as invalid (threshold ${percent(t.maxInvalidEventShare)})${fieldsText(s.invalidByField)}`,
    });
  }
  if (s.events < MIN_EVENTS_FOR_SHARES) return alerts;
  const unknown = s.unknownItemEvents / s.events;
  if (unknown > t.maxUnknownItemShare) {
    alerts.push({
      check: "unknown_items",
      value: unknown,
      threshold: t.maxUnknownItemShare,
      message: `${percent(unknown)} of events name items the catalog does not hold (threshold ${percent(t.maxUnknownItemShare)})`,
    });
  }
  const fresh = s.newUserEvents / s.events;
  if (t.maxNewUserShare < 1 && fresh > t.maxNewUserShare) {
    alerts.push({
      check: "new_users",
      value: fresh,
      threshold: t.maxNewUserShare,
      message: `${percent(fresh)} of events come from users first seen in the window (threshold ${percent(t.maxNewUserShare)})`,
    });
  }
  return alerts;
}

export function report(s: WindowStats, t: DataQualityThresholds): DataQualityReport {
  return {
    from: s.from.toISOString(),
    to: s.to.toISOString(),
    events: s.events,
    by_type: s.byType,
    unknown_item_share: s.events === 0 ? null : s.unknownItemEvents / s.events,
    new_user_share: s.events === 0 ? null : s.newUserEvents / s.events,
    invalid_event_share: s.events + s.invalidEvents === 0 ? null : s.invalidEvents / (s.events + s.invalidEvents),
    invalid_by_field: s.invalidByField,
    alerts: alertsFor(s, t),
  };
}

/** ": mostly ts (12), item_id (3)": the fields the refusals named most. */
function fieldsText(byField: Record<string, number>): string {
  const top = Object.entries(byField)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 3);
  return top.length === 0 ? "" : `: mostly ${top.map(([f, n]) => `${f} (${n})`).join(", ")}`;
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
