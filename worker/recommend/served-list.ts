/**
 * The record of a served list that goes on the queue after the answer: what clicks are
 * attributed to, what the serving metrics count, and (when the ranker ordered the list)
 * the scores and, on a sample, the ranking features of its head, which the drift checks
 * compare with the lists the trainer replayed for the version.
 */
import type { ServedList } from "../../models/events.js";
import type { RecItem, RecsRequest, RecsResult } from "./recommend-for-user.js";

/**
 * The lists to log. Lists of users who turned personalisation off are not logged: a
 * served list names its user, and their feedback is not stored to attribute anyway.
 * (An unreadable session is no such choice, so those lists are logged.)
 */
export function servedLists(
  lists: Array<{ requestId: string; request: RecsRequest; result: RecsResult; started: number }>,
  featureShare: number,
  random: () => number = Math.random,
): ServedList[] {
  return lists
    .filter((l) => l.result.personalised || l.result.degraded.includes("session"))
    .map((l) => served(l.requestId, l.request, l.result, l.started, featureShare > 0 && random() < featureShare));
}

/** `withFeatures`: this list is in the sample whose ranking features are logged (FEATURE_LOG_SHARE). */
function served(requestId: string, req: RecsRequest, result: RecsResult, started: number, withFeatures: boolean): ServedList {
  return {
    request_id: requestId,
    user_id: req.userId,
    model_version: result.model_version,
    context: req.context,
    items: result.items.map((i) => i.item_id),
    degraded: result.degraded,
    ts: Date.now(),
    experiment: creditedExperiment(result),
    latency_ms: Math.min(600_000, Math.round(performance.now() - started)),
    sources: sourceCounts(result.items),
    ...(result.ranked ? { scores: result.items.map((i) => i.score) } : {}),
    ...headFeatures(withFeatures ? result.headFeatures?.() : undefined),
  };
}

/** The sampled head rows, to six significant digits: the bins need no more, and the log stays short. */
function headFeatures(rows: Float32Array | undefined): { features?: number[] } {
  return rows ? { features: Array.from(rows, (x) => Number(x.toPrecision(6))) } : {};
}

/** The experiment a list counts for; QA overrides are served but never credited to a variant. */
export function creditedExperiment(result: RecsResult): { id: string; variant: string } | null {
  return result.experiment && !result.experiment.forced ? { id: result.experiment.experimentId, variant: result.experiment.variant } : null;
}

/** Items per candidate source; an item two sources found counts for both. */
function sourceCounts(items: readonly RecItem[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) for (const s of item.sources) out[s] = (out[s] ?? 0) + 1;
  return out;
}
