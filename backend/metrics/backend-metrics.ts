/**
 * Prometheus metrics on a private registry (so several app instances, e.g. in tests,
 * never collide in prom-client's global one). Exposed at GET /metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EventType, ServedList } from "../../models/events.js";
import type { DataQualityReport } from "../data-quality/data-quality.js";
import type { DriftReadout } from "../data-quality/drift.js";
import { createLiveRates, type LiveRates } from "./live-rates.js";

export interface BackendMetrics {
  readonly registry: Registry;
  /** The last minutes of the same figures, per second, for the dashboard's live panel. */
  readonly live: LiveRates;
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  /** Only newly stored events count; lag is measured from the event's own timestamp. */
  recordIngested(events: ReadonlyArray<{ type: EventType; ts: number }>, duplicates: number, nowMs: number): void;
  /** Rows committed by a history import, and rows it found already stored. */
  recordImported(stored: number, duplicates: number): void;
  recordFeatureStoreSync(outcome: "synced" | "failed", items: number): void;
  /** Lists the edge served, as their logs arrive (each once: redelivered logs are not passed again). */
  recordServed(lists: readonly ServedList[]): void;
  /** The latest data-quality check (data-quality/data-quality-monitor.ts). */
  setDataQuality(report: DataQualityReport): void;
  /** The latest drift check: PSI per monitored input, and the drift alert. */
  setDrift(drift: DriftReadout): void;
  /** One webhook delivery attempt and what came of it. */
  countWebhookAttempt(event: string, outcome: "delivered" | "retry" | "failed"): void;
  /** Where the catalog-size gauge reads from at scrape time. */
  setCatalogItemCounter(count: () => Promise<number>): void;
}

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event-loop lag); off in tests to keep them light. */
  processMetrics?: boolean;
}

const PREFIX = "recs_backend_";

export function createBackendMetrics(options: MetricsOptions = {}): BackendMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: PREFIX });

  const httpRequests = new Counter({
    name: `${PREFIX}http_requests_total`,
    help: "HTTP requests by route pattern, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: "HTTP request duration by route pattern and method",
    labelNames: ["route", "method"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const ingested = new Counter({
    name: `${PREFIX}ingested_events_total`,
    help: "Interaction events stored, by type (duplicates excluded)",
    labelNames: ["type"] as const,
    registers: [registry],
  });
  const duplicates = new Counter({
    name: `${PREFIX}duplicate_events_total`,
    help: "Interaction events received again and skipped (at-least-once redelivery)",
    registers: [registry],
  });
  const ingestLag = new Histogram({
    name: `${PREFIX}ingest_lag_seconds`,
    help: "Time from an event's timestamp to its storage in Postgres",
    // From a healthy pipeline (seconds) to a replay after a long outage (days).
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400, 604800],
    registers: [registry],
  });
  const imported = new Counter({
    name: `${PREFIX}imported_events_total`,
    help: "Interaction events stored by history import (POST /api/v1/interactions/import), by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const featureStoreSyncs = new Counter({
    name: `${PREFIX}feature_store_sync_items_total`,
    help: "Catalog items written to the feature store, by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const served = new Counter({
    name: `${PREFIX}served_lists_total`,
    help: "Recommendation lists the edge served and logged for feedback (users who allow personalisation, or whose session could not be read), by model version and experiment variant",
    labelNames: ["model_version", "experiment", "variant"] as const,
    registers: [registry],
  });
  const servedLatency = new Histogram({
    name: `${PREFIX}served_latency_seconds`,
    help: "Edge time from request to list, as the edge measured it",
    labelNames: ["model_version"] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const servedDegraded = new Counter({
    name: `${PREFIX}served_degraded_total`,
    help: "Served lists a failing or slow stage degraded, by stage (a list degraded twice counts for both)",
    labelNames: ["stage"] as const,
    registers: [registry],
  });
  const servedItems = new Counter({
    name: `${PREFIX}served_items_total`,
    help: "Items in served lists by candidate source (an item two sources found counts for both)",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: `${PREFIX}webhook_attempts_total`,
    help: "Webhook delivery attempts by event and outcome (delivered, retry: failed and queued again, failed: out of attempts)",
    labelNames: ["event", "outcome"] as const,
    registers: [registry],
  });
  const dqEvents = new Gauge({
    name: `${PREFIX}data_quality_events`,
    help: "Events stored with a timestamp in the last hour, by type (as of the latest data-quality check)",
    labelNames: ["type"] as const,
    registers: [registry],
  });
  const dqShare = new Gauge({
    name: `${PREFIX}data_quality_share`,
    help: "Shares of the last hour's events: unknown_items (not in the catalog), new_users (users first seen in the hour), invalid_events (refused by the edge, of all received)",
    labelNames: ["measure"] as const,
    registers: [registry],
  });
  const dqAlert = new Gauge({
    name: `${PREFIX}data_quality_alert`,
    help: "1 while a data-quality check is past its threshold (unknown_items, new_users, invalid_events, low_volume, drift)",
    labelNames: ["check"] as const,
    registers: [registry],
  });
  const dqDrift = new Gauge({
    name: `${PREFIX}data_quality_drift_psi`,
    help: "Population stability index of each monitored input (event_type, item_popularity, item_category, item_price) between the champion's training window and the recent events",
    labelNames: ["feature"] as const,
    registers: [registry],
  });
  let countCatalogItems: (() => Promise<number>) | null = null;
  new Gauge({
    name: `${PREFIX}catalog_items`,
    help: "Items in the catalog",
    registers: [registry],
    async collect() {
      if (!countCatalogItems) return;
      // A failing database must not fail the whole scrape; the gauge keeps its last value.
      this.set(await countCatalogItems().catch(() => Number.NaN));
    },
  });

  const live = createLiveRates();

  return {
    registry,
    live,
    observeHttp(method, route, status, seconds) {
      httpRequests.inc({ route, method, status: String(status) });
      httpDuration.observe({ route, method }, seconds);
    },
    recordIngested(events, duplicateCount, nowMs) {
      for (const e of events) {
        ingested.inc({ type: e.type });
        ingestLag.observe(Math.max(0, (nowMs - e.ts) / 1000));
      }
      if (duplicateCount > 0) duplicates.inc(duplicateCount);
      if (events.length > 0) live.ingested(events.length, nowMs);
    },
    recordImported(stored, duplicateCount) {
      imported.inc({ outcome: "stored" }, stored);
      imported.inc({ outcome: "duplicate" }, duplicateCount);
    },
    recordFeatureStoreSync(outcome, items) {
      featureStoreSyncs.inc({ outcome }, items);
    },
    recordServed(lists) {
      for (const l of lists) {
        served.inc({ model_version: l.model_version, experiment: l.experiment?.id ?? "", variant: l.experiment?.variant ?? "" });
        if (l.latency_ms !== undefined) servedLatency.observe({ model_version: l.model_version }, l.latency_ms / 1000);
        for (const stage of new Set(l.degraded)) servedDegraded.inc({ stage });
        for (const [source, n] of Object.entries(l.sources ?? {})) servedItems.inc({ source }, n);
        live.served({ latencyMs: l.latency_ms, degraded: l.degraded });
      }
    },
    setDataQuality(r) {
      dqEvents.reset();
      for (const [type, n] of Object.entries(r.by_type)) dqEvents.set({ type }, n);
      if (r.unknown_item_share !== null) dqShare.set({ measure: "unknown_items" }, r.unknown_item_share);
      if (r.new_user_share !== null) dqShare.set({ measure: "new_users" }, r.new_user_share);
      if (r.invalid_event_share !== null) dqShare.set({ measure: "invalid_events" }, r.invalid_event_share);
      const on = new Set(r.alerts.map((a) => a.check));
      for (const check of ["unknown_items", "new_users", "invalid_events", "low_volume"] as const) dqAlert.set({ check }, on.has(check) ? 1 : 0);
    },
    setDrift(d) {
      dqDrift.reset();
      for (const f of d.features) dqDrift.set({ feature: f.feature }, f.psi);
      dqAlert.set({ check: "drift" }, d.alerts.length > 0 ? 1 : 0);
    },
    countWebhookAttempt(event, outcome) {
      webhookAttempts.inc({ event, outcome });
    },
    setCatalogItemCounter(count) {
      countCatalogItems = count;
    },
  };
}
