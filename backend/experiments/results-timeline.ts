/**
 * An experiment's cumulative rates over time, for the dashboard's chart: at each of a
 * few evenly spaced instants from its start to now (or its stop), the CTR and
 * conversion rate of every configured variant over the lists served before that
 * instant, with the same Wilson intervals (design effect included) as the readout.
 * The last point covers every list, so it equals the readout's rates.
 *
 * A point counts what those lists have earned by the time of the query, not what was
 * known at the instant itself: the curve shows how the estimate settles as the sample
 * grows. Reading the timeline is not a look of the sequential test (nothing is stored).
 */
import { summarize } from "../../models/experiments/stats/verdict.js";
import type { Db } from "../db/client.js";
import { attributedCounts } from "./attribution.js";
import { getExperiment } from "./experiment-store.js";
import { byConfiguredVariant, tallyOf } from "./results.js";

export interface TimelinePoint {
  at: string;
  variants: Array<{
    variant: string;
    lists: number;
    impressions: number;
    clicks: number;
    conversions: number;
    ctr: { rate: number; lower: number; upper: number };
    conversion_rate: { rate: number; lower: number; upper: number };
  }>;
}

export async function resultsTimeline(
  db: Db,
  id: string,
  options: { attributionWindowHours: number; points: number; now?: Date },
): Promise<{ points: TimelinePoint[] } | null> {
  const row = await getExperiment(db, id);
  if (!row) return null;
  if (!row.startedAt) return { points: [] };
  const points: TimelinePoint[] = [];
  for (const at of cutoffs(row.startedAt, row.stoppedAt ?? options.now ?? new Date(), options.points)) {
    const counts = await attributedCounts(db, id, options.attributionWindowHours, at);
    const { variants } = byConfiguredVariant(row.config, counts);
    points.push({
      at: at.toISOString(),
      variants: variants.map((v) => {
        const s = summarize(tallyOf(v));
        return {
          variant: v.variant,
          lists: v.lists,
          impressions: v.impressions,
          clicks: v.clicks,
          conversions: v.conversions,
          ctr: s.ctr,
          conversion_rate: s.conversionRate,
        };
      }),
    });
  }
  return { points };
}

/** `n` instants after `start`, evenly spaced, the last one just past `end` (so lists served at `end` count). */
export function cutoffs(start: Date, end: Date, n: number): Date[] {
  const from = start.getTime();
  const span = Math.max(1, end.getTime() + 1 - from);
  return Array.from({ length: n }, (_, i) => new Date(from + Math.ceil((span * (i + 1)) / n)));
}
