/**
 * Which experiment variant serves this request. The unit is the user id; its sticky
 * assignments come with the session context (one Durable Object call), and a first
 * exposure is stored in the same object (`assign`), which answers with whatever was
 * stored first if two requests race. So a later weight change never moves a user who
 * was already assigned.
 *
 * `?experiment_id=` restricts the choice to that experiment (e.g. to test one
 * surface); `?experiment_id=&variant=` forces a variant for QA: it is neither stored nor
 * attributed (the served list carries no experiment), so QA traffic cannot bias results.
 */
import type { SessionContext } from "../../durable-objects/user-session.js";
import { chooseExperiment, type TargetingRequest } from "../../models/experiments/assignment.js";
import type { Experiment, VariantChanges } from "../../models/experiments/experiment.js";
import type { Env } from "../env.js";
import { sessionStub } from "../session/session-store.js";

export interface ExperimentInput {
  experiments: readonly Experiment[];
  targeting: TargetingRequest;
  /** `?experiment_id=`: only this experiment may serve. */
  only: string | null;
  /** `?experiment_id=&variant=`: QA override. */
  forceVariant: string | null;
}

export interface AssignedVariant {
  experimentId: string;
  variant: string;
  changes: VariantChanges;
  /** A QA override: served, but not stored and not attributed. */
  forced: boolean;
}

/** `onTrip` hears of the one network call a first exposure costs (storing it in the object). */
export async function assignExperiment(
  env: Env,
  unitId: string,
  session: SessionContext | null,
  input: ExperimentInput,
  onTrip: () => void = () => {},
): Promise<AssignedVariant | null> {
  const pool = input.only === null ? input.experiments : input.experiments.filter((e) => e.id === input.only);
  if (input.forceVariant !== null && input.only !== null) {
    const forced = pool[0]?.variants.find((v) => v.key === input.forceVariant);
    return forced ? { experimentId: input.only, variant: forced.key, changes: forced.changes, forced: true } : null;
  }
  // Without the session object there is no sticky record to honour or write: serve
  // outside experiments rather than risk moving an assigned user.
  if (!session || pool.length === 0) return null;
  const stored = new Map(session.assignments.map((a) => [a.experiment_id, a.variant]));
  const targeting = { ...input.targeting, returning: session.recent.length > 0 };
  const choice = chooseExperiment(pool, targeting, unitId, stored);
  if (!choice) return null;
  let key = choice.variant.key;
  if (choice.source === "bucket") {
    onTrip();
    key = await sessionStub(env, unitId).assign(choice.experiment.id, key);
  }
  const variant = choice.experiment.variants.find((v) => v.key === key) ?? choice.experiment.variants.find((v) => v.key === choice.experiment.control)!;
  return { experimentId: choice.experiment.id, variant: variant.key, changes: variant.changes, forced: false };
}
