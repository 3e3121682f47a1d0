/**
 * Canary rollout of a model version: serve it to a small share of traffic, compare it
 * with the champion on real users, then promote it to everyone or roll it back — with no
 * operator in the loop.
 *
 * A canary is an ordinary experiment (so it reaches the edge through the same store and
 * publisher, and its readout is the same `results`): the whole traffic space, variants
 * `control` (weight 100 − p, model_version = the champion) and `canary` (weight p,
 * model_version = the version). The whole space, because "5%" means 5% of all users; as
 * a consequence no other experiment with intersecting targeting can run beside a canary
 * (starting one is refused as an overlap), and a canary cannot start beside one (409).
 * The control arm names the champion explicitly so both arms are measured the same way.
 *
 * Decisions (canary-decision.ts) are taken by `evaluateCanaries`, called by a timer
 * (CANARY_CHECK_MINUTES) and by an admin route:
 * - roll back: stop the experiment (its users return to the champion, which the edge
 *   still serves by default), the version becomes `rejected` in the registry (it lost
 *   against the champion with real users; promoting it by hand is then refused), audit
 *   `canary_rolled_back` in model_events and the experiment's trail, with the verdict.
 * - promote: activate the version at the edge first (as the promote route does: if the
 *   edge refuses, nothing changes and the next evaluation retries), then stop the
 *   experiment and promote in the registry (audit `promoted`, actor "canary"; the
 *   previous champion retired, so a registry rollback can undo it as any promotion).
 * - moot: its experiment was stopped by hand, or the champion changed underneath it (the
 *   comparison no longer holds): ended as rolled_back without rejecting the version
 *   (audit `canary_ended`); the canary version promoted by hand ends as promoted.
 * Every reading of the results is a look of the sequential test, whose state is stored,
 * so evaluating every few minutes does not inflate false positives.
 */
import type { Metric } from "../../models/experiments/stats/verdict.js";
import type { Db } from "../db/client.js";
import { describeError } from "../describe-error.js";
import { createExperiment, ExperimentError, startExperiment, stopExperiment, type NewExperiment } from "../experiments/experiment-lifecycle.js";
import type { ExperimentSetPublisher } from "../experiments/experiment-publisher.js";
import { getExperiment, recordEvent } from "../experiments/experiment-store.js";
import { experimentResults, type ExperimentResults } from "../experiments/results.js";
import { assertPromotable, currentChampion, getVersion, promote, recordModelEvent, RegistryError, rejectAfterCanary } from "../registry/model-registry.js";
import type { ModelPublisher } from "../training-jobs/types.js";
import { CANARY_VARIANT, canaryDecision, CONTROL_VARIANT, type CanaryDecision } from "./canary-decision.js";
import { finishCanary, insertCanary, lockCanaries, runningCanaries, tryLockCanaries, type CanaryRow } from "./canary-store.js";

/** The actor of automatic decisions, in both audit trails. */
export const CANARY_ACTOR = "canary";

export const CANARY_DEFAULTS = { trafficPercent: 5, minImpressionsPerVariant: 2000, primaryMetric: "ctr" as Metric } as const;

export interface CanaryDeps {
  db: Db;
  experimentPublisher: ExperimentSetPublisher;
  modelPublisher: Pick<ModelPublisher, "activate">;
  attributionWindowHours: number;
}

export interface CanaryRequest {
  /** Percent of all traffic on the canary, 1..50. */
  trafficPercent: number;
  /** Impressions each arm needs before the canary may be promoted. */
  minImpressionsPerVariant: number;
  primaryMetric: Metric;
}

export type CanaryErrorKind = "not_found" | "conflict" | "edge_unavailable";

export class CanaryError extends Error {
  override readonly name = "CanaryError";
  constructor(
    readonly kind: CanaryErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface CanaryEvaluation {
  version: string;
  experimentId: string;
  outcome: "promoted" | "rolled_back" | "running" | "error";
  reason: string;
}

// ---- start ----

/**
 * Creates and starts the canary's experiment (published to the edge before commit) and
 * records the canary, all in one transaction: a refusal anywhere leaves no draft behind.
 */
export async function startCanary(deps: CanaryDeps, version: string, request: CanaryRequest, actor: string): Promise<CanaryRow> {
  return translated(() =>
    deps.db.transaction(async (tx) => {
      await lockCanaries(tx);
      const champion = await checkStartable(tx, version);
      const lifecycle = { db: tx, publisher: deps.experimentPublisher };
      const draft = await createExperiment(lifecycle, canaryExperiment(version, champion, request), actor);
      await startExperiment(lifecycle, draft.id, actor);
      const canary = await insertCanary(tx, {
        version,
        experimentId: draft.id,
        championVersion: champion,
        trafficPercent: request.trafficPercent,
        minImpressions: request.minImpressionsPerVariant,
        createdBy: actor,
      });
      await recordModelEvent(tx, version, "canary_started", actor, canaryDetail(canary));
      return canary;
    }),
  );
}

/** The champion to compare with; throws unless the version may go out as a canary now. */
async function checkStartable(db: Db, version: string): Promise<string> {
  const row = await getVersion(db, version);
  if (!row) throw new CanaryError("not_found", `no model version "${version}"`);
  assertPromotable(row);
  const champion = await currentChampion(db);
  if (!champion) throw new CanaryError("conflict", "there is no champion to compare a canary with; promote a version first");
  if (champion.version === version) throw new CanaryError("conflict", `version "${version}" is already the champion`);
  const [running] = await runningCanaries(db);
  if (running) throw new CanaryError("conflict", `a canary of "${running.version}" is already running (experiment "${running.experimentId}"); one at a time`);
  return champion.version;
}

export function canaryExperiment(version: string, champion: string, r: CanaryRequest): NewExperiment {
  return {
    name: `canary ${version}`,
    hypothesis:
      `${version} is not worse than the champion ${champion} on ${r.primaryMetric}: promoted automatically after ` +
      `${r.minImpressionsPerVariant} impressions per variant unless it loses, rolled back as soon as it does`,
    traffic_share: 1,
    variants: [
      { key: CONTROL_VARIANT, weight: 100 - r.trafficPercent, changes: { model_version: champion } },
      { key: CANARY_VARIANT, weight: r.trafficPercent, changes: { model_version: version } },
    ],
    primary_metric: r.primaryMetric,
    control: CONTROL_VARIANT,
  };
}

// ---- evaluate ----

/**
 * Decides every running canary. Under a try-lock: when another evaluation is deciding,
 * this one returns nothing rather than waiting to decide the same canary again.
 */
export async function evaluateCanaries(deps: CanaryDeps): Promise<CanaryEvaluation[]> {
  return deps.db.transaction(async (tx) => {
    if (!(await tryLockCanaries(tx))) return [];
    const evaluations: CanaryEvaluation[] = [];
    for (const canary of await runningCanaries(tx)) evaluations.push(await evaluateIsolated({ ...deps, db: tx }, canary));
    return evaluations;
  });
}

/** One canary in a savepoint: its failure (the edge down, say) is reported and undone, the others still decided. */
async function evaluateIsolated(deps: CanaryDeps, canary: CanaryRow): Promise<CanaryEvaluation> {
  try {
    return await deps.db.transaction((sp) => evaluateOne({ ...deps, db: sp }, canary));
  } catch (error) {
    return evaluation(canary, "error", describeError(error));
  }
}

async function evaluateOne(deps: CanaryDeps, canary: CanaryRow): Promise<CanaryEvaluation> {
  const moot = await mootEnd(deps, canary);
  if (moot) return moot;
  const results = await experimentResults(deps.db, canary.experimentId, { attributionWindowHours: deps.attributionWindowHours });
  if (!results) throw new Error(`experiment "${canary.experimentId}" is missing`);
  const decision = canaryDecision(results, canary.minImpressions);
  switch (decision.action) {
    case "wait":
      return evaluation(canary, "running", decision.reason);
    case "roll_back":
      return rollBack(deps, canary, decision, results);
    case "promote":
      return promoteCanary(deps, canary, decision, results);
  }
}

async function rollBack(deps: CanaryDeps, canary: CanaryRow, decision: CanaryDecision, results: ExperimentResults): Promise<CanaryEvaluation> {
  const detail = { ...canaryDetail(canary), reason: decision.reason, readout: readoutDetail(results) };
  // Stopping publishes the running set without the canary: its users are back on the champion.
  await stopExperiment(lifecycleOf(deps), canary.experimentId, CANARY_ACTOR, { canary: "rolled_back", reason: decision.reason });
  await rejectAfterCanary(deps.db, canary.version, CANARY_ACTOR, detail);
  await recordEvent(deps.db, canary.experimentId, "canary_rolled_back", CANARY_ACTOR, detail);
  await finishCanary(deps.db, canary.id, "rolled_back", decision.reason);
  return evaluation(canary, "rolled_back", decision.reason);
}

async function promoteCanary(deps: CanaryDeps, canary: CanaryRow, decision: CanaryDecision, results: ExperimentResults): Promise<CanaryEvaluation> {
  const detail = { ...canaryDetail(canary), reason: decision.reason, readout: readoutDetail(results) };
  // The edge first: if it does not take the version, nothing changes here and the next evaluation retries.
  await activate(deps, canary.version);
  await stopExperiment(lifecycleOf(deps), canary.experimentId, CANARY_ACTOR, { canary: "promoted", reason: decision.reason });
  await promote(deps.db, canary.version, CANARY_ACTOR, { canary_experiment: canary.experimentId, reason: decision.reason });
  await recordEvent(deps.db, canary.experimentId, "canary_promoted", CANARY_ACTOR, detail);
  await finishCanary(deps.db, canary.id, "promoted", decision.reason);
  return evaluation(canary, "promoted", decision.reason);
}

/**
 * Ends a canary whose comparison no longer means anything: its experiment is no longer
 * running, or the champion is not the one it was compared with. Null when neither.
 */
async function mootEnd(deps: CanaryDeps, canary: CanaryRow): Promise<CanaryEvaluation | null> {
  const [experiment, champion] = await Promise.all([getExperiment(deps.db, canary.experimentId), currentChampion(deps.db)]);
  const championNow = champion?.version ?? null;
  if (experiment?.status === "running" && championNow === canary.championVersion) return null;

  const promotedByHand = championNow === canary.version;
  const reason = promotedByHand
    ? `${canary.version} was made champion outside the canary; nothing left to decide`
    : experiment?.status !== "running"
      ? `its experiment "${canary.experimentId}" was stopped outside the canary; nothing was promoted or rejected`
      : `the champion changed from ${canary.championVersion} to ${championNow ?? "none"} during the canary, so its comparison no longer holds; nothing was promoted or rejected`;
  if (experiment?.status === "running") {
    await stopExperiment(lifecycleOf(deps), canary.experimentId, CANARY_ACTOR, { canary: "ended", reason });
  }
  const detail = { ...canaryDetail(canary), reason };
  if (!promotedByHand) await recordModelEvent(deps.db, canary.version, "canary_ended", CANARY_ACTOR, detail);
  await recordEvent(deps.db, canary.experimentId, promotedByHand ? "canary_promoted" : "canary_rolled_back", CANARY_ACTOR, detail);
  const status = promotedByHand ? "promoted" : "rolled_back";
  await finishCanary(deps.db, canary.id, status, reason);
  return evaluation(canary, status, reason);
}

// ---- helpers ----

function lifecycleOf(deps: CanaryDeps) {
  return { db: deps.db, publisher: deps.experimentPublisher };
}

async function activate(deps: CanaryDeps, version: string): Promise<void> {
  try {
    await deps.modelPublisher.activate(version);
  } catch (error) {
    throw new CanaryError("edge_unavailable", `the edge did not activate ${version}: ${describeError(error)}; the canary keeps running`);
  }
}

function evaluation(canary: CanaryRow, outcome: CanaryEvaluation["outcome"], reason: string): CanaryEvaluation {
  return { version: canary.version, experimentId: canary.experimentId, outcome, reason };
}

function canaryDetail(c: CanaryRow): Record<string, unknown> {
  return {
    canary_id: c.id,
    experiment_id: c.experimentId,
    champion: c.championVersion,
    traffic_percent: c.trafficPercent,
    min_impressions_per_variant: c.minImpressions,
  };
}

/** What the decision was based on, for the audit trails. */
function readoutDetail(r: ExperimentResults): Record<string, unknown> {
  return {
    verdict: r.verdict.sentence,
    variants: r.variants.map((v) => ({ variant: v.variant, impressions: v.impressions, clicks: v.clicks, conversions: v.conversions })),
    guardrails: r.guardrails,
  };
}

/** Registry and experiment refusals become canary errors, so the route maps one kind. */
async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RegistryError) throw new CanaryError(error.kind, error.message);
    if (error instanceof ExperimentError) {
      const kind = error.kind === "edge_unavailable" ? "edge_unavailable" : error.kind === "not_found" ? "not_found" : "conflict";
      throw new CanaryError(kind, error.message);
    }
    throw error;
  }
}
