/**
 * Serving figures for Workers Analytics Engine in production: one data point per
 * recommendations call, queryable with its SQL API by model version, context,
 * experiment variant and degraded stages. The backend's /metrics gets the same figures
 * from the served-list logs, but only for the lists that are logged (users who allow
 * personalisation); this counts every call, and names no user.
 *
 * Layout (positions are what a query names: blob1…, double1…):
 *   index1  model_version (the sampling key)
 *   blob1   endpoint ("recs" | "bulk"), blob2 context, blob3 experiment id, blob4 variant,
 *   blob5   degraded stages, comma-separated, blob6 "1" when personalised
 *   double1 edge latency ms, double2 items, double3 lists (1, or a bulk call's users),
 *   double4 degraded lists
 * Writes never fail a request: a missing binding (local stacks may leave it out) or a
 * throwing one is skipped.
 */

export interface ServingPoint {
  endpoint: "recs" | "bulk";
  modelVersion: string;
  context: string | null;
  experiment: { id: string; variant: string } | null;
  /** Every stage any of the lists degraded in. */
  degraded: readonly string[];
  personalised: boolean;
  latencyMs: number;
  items: number;
  lists: number;
  degradedLists: number;
}

export function servingDataPoint(p: ServingPoint): AnalyticsEngineDataPoint {
  return {
    indexes: [p.modelVersion.slice(0, 96)],
    blobs: [
      p.endpoint,
      p.context ?? "",
      p.experiment?.id ?? "",
      p.experiment?.variant ?? "",
      [...new Set(p.degraded)].sort().join(","),
      p.personalised ? "1" : "0",
    ],
    doubles: [p.latencyMs, p.items, p.lists, p.degradedLists],
  };
}

export function writeServing(dataset: AnalyticsEngineDataset | undefined, point: ServingPoint): void {
  if (!dataset) return;
  try {
    dataset.writeDataPoint(servingDataPoint(point));
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", msg: "analytics data point not written", error: String(err) }));
  }
}
