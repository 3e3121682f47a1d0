/**
 * Runs the data-quality checks every DATA_QUALITY_CHECK_MINUTES over the last hour:
 * sets the `data_quality_*` gauges in /metrics and announces each alert once, when it
 * starts, as a `data_quality.alert` webhook (an alert that holds on later checks is not
 * sent again; one that clears and returns is).
 */
import type { Db } from "../db/client.js";
import { describeError } from "../describe-error.js";
import { silentLogger, type Logger } from "../logger.js";
import type { BackendMetrics } from "../metrics/backend-metrics.js";
import { emitWebhookEvent } from "../webhooks/webhook-events.js";
import { report, type Alert, type DataQualityReport, type DataQualityThresholds } from "./data-quality.js";
import { windowStats } from "./window-stats.js";
import { driftReport, referenceCache, withDriftAlerts, type DriftReadout } from "./drift.js";

export interface DataQualityMonitorOptions {
  db: Db;
  thresholds: DataQualityThresholds;
  metrics?: Pick<BackendMetrics, "setDataQuality" | "setDrift">;
  /** 0 disables the timer (tick still works). */
  intervalMinutes: number;
  logger?: Logger;
  now?: () => Date;
}

/** The hour's checks, and the drift of the last `driftHours` against the champion's training window. */
export type DataQualityReading = DataQualityReport & { drift: DriftReadout };

export interface DataQualityMonitor {
  start(): void;
  tick(): Promise<DataQualityReading>;
  stop(): void;
}

export function createDataQualityMonitor(o: DataQualityMonitorOptions): DataQualityMonitor {
  const logger = o.logger ?? silentLogger;
  let alerting = new Set<string>();
  let timer: ReturnType<typeof setInterval> | null = null;
  const reference = referenceCache();
  const key = (a: Alert) => `${a.check}:${a.feature ?? ""}`;

  const tick = async (): Promise<DataQualityReading> => {
    const at = o.now?.() ?? new Date();
    const r = report(await windowStats(o.db, 1, at), o.thresholds);
    const drift = withDriftAlerts(await driftReport(o.db, o.thresholds.driftHours, at, reference), o.thresholds.maxPsi, o.thresholds.driftHours);
    o.metrics?.setDataQuality(r);
    o.metrics?.setDrift(drift);
    const raised = [
      ...r.alerts.map((a) => ({ alert: a, window: { from: r.from, to: r.to, events: r.events } })),
      ...drift.alerts.map((a) => ({ alert: a, window: { ...drift.current, reference: drift.reference } })),
    ];
    for (const { alert, window } of raised) {
      if (alerting.has(key(alert))) continue;
      logger.warn("data-quality alert", { check: alert.check, feature: alert.feature, value: alert.value, threshold: alert.threshold, message: alert.message });
      await emitWebhookEvent(o.db, "data_quality.alert", { ...alert, ...window });
    }
    alerting = new Set(raised.map((x) => key(x.alert)));
    return { ...r, drift };
  };

  return {
    start() {
      if (o.intervalMinutes <= 0 || timer !== null) return;
      timer = setInterval(() => {
        tick().catch((error: unknown) => logger.error("data-quality check failed", { error: describeError(error) }));
      }, o.intervalMinutes * 60_000);
      timer.unref();
    },
    tick,
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
