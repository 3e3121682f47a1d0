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
import { report, windowStats, type CheckName, type DataQualityReport, type DataQualityThresholds } from "./data-quality.js";

export interface DataQualityMonitorOptions {
  db: Db;
  thresholds: DataQualityThresholds;
  metrics?: Pick<BackendMetrics, "setDataQuality">;
  /** 0 disables the timer (tick still works). */
  intervalMinutes: number;
  logger?: Logger;
  now?: () => Date;
}

export interface DataQualityMonitor {
  start(): void;
  tick(): Promise<DataQualityReport>;
  stop(): void;
}

export function createDataQualityMonitor(o: DataQualityMonitorOptions): DataQualityMonitor {
  const logger = o.logger ?? silentLogger;
  let alerting = new Set<CheckName>();
  let timer: ReturnType<typeof setInterval> | null = null;

  const tick = async (): Promise<DataQualityReport> => {
    const r = report(await windowStats(o.db, 1, o.now?.() ?? new Date()), o.thresholds);
    o.metrics?.setDataQuality(r);
    const now = new Set(r.alerts.map((a) => a.check));
    for (const a of r.alerts) {
      if (alerting.has(a.check)) continue;
      logger.warn("data-quality alert", { check: a.check, value: a.value, threshold: a.threshold, message: a.message });
      await emitWebhookEvent(o.db, "data_quality.alert", { ...a, from: r.from, to: r.to, events: r.events });
    }
    alerting = now;
    return r;
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
