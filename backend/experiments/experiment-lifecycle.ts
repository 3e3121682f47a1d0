/**
 * The life of an experiment: draft → running → stopped, each step validated, audited and
 * — when it changes what the edge should run — published to the edge.
 *
 * - create: a draft with a generated id (slug of the name + a short random suffix) and
 *   salt; validated on its own (shape, weights, control, known model versions).
 * - update: anything while draft. While running only `traffic_share` and the variants'
 *   weights: assignments are sticky (the session Durable Object keeps a unit's first
 *   variant), so units already in the experiment keep their variant and only new units
 *   follow the new numbers. Changing a variant's changes, targeting, the metric or the
 *   control would change what the data so far measured; that takes a new experiment.
 * - start: validated against the running experiments. An overlap that is only a matter
 *   of traffic slices (their shares fit side by side) is resolved by moving this
 *   experiment's slice to a free one (`allocateTrafficOffset`), recorded in the audit;
 *   any other overlap is refused, naming the experiment it clashes with.
 * - stop: running → stopped, for good (restarting would mix two periods in one readout).
 *
 * Publishing order: the change is written in a transaction that holds the experiments'
 * advisory lock, the resulting running set is sent to the edge, and only then does the
 * transaction commit. If the edge cannot be reached the transaction rolls back and the
 * caller gets a 503 with nothing changed, so the registry never says "running" for an
 * experiment the edge does not run. (A commit failing after the edge took the set is
 * left for the next publication, at the latest the one at start-up, to repair.) The lock
 * also orders publications: the last set the edge receives is the last one committed.
 */
import { randomBytes } from "node:crypto";
import {
  allocateTrafficOffset,
  ExperimentSchema,
  overlaps,
  validateExperiment,
  type Experiment,
  type ExperimentInput,
  type ExperimentProblem,
} from "../../models/experiments/experiment.js";
import type { Db } from "../db/client.js";
import { describeError, errorCode } from "../describe-error.js";
import type { RetryOptions } from "../publish/edge-admin-client.js";
import { experimentSet, type ExperimentSetPublisher } from "./experiment-publisher.js";
import { emitWebhookEvent } from "../webhooks/webhook-events.js";
import {
  getExperiment,
  insertExperiment,
  lockExperiments,
  recordEvent,
  recordEvents,
  runningExperiments,
  servableModelVersions,
  writeConfig,
  type ExperimentRow,
  type Queryable,
} from "./experiment-store.js";

export type ExperimentErrorKind = "not_found" | "invalid" | "conflict" | "edge_unavailable";

export class ExperimentError extends Error {
  override readonly name = "ExperimentError";
  constructor(
    readonly kind: ExperimentErrorKind,
    message: string,
    /** Every problem found, each naming its field; empty when the message says it all. */
    readonly problems: readonly ExperimentProblem[] = [],
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface LifecycleDeps {
  db: Db;
  publisher: ExperimentSetPublisher;
}

/** What a caller gives to create an experiment: the id, salt and status are the backend's to set. */
export type NewExperiment = Omit<ExperimentInput, "id" | "salt" | "status">;
/** An update: the fields given replace the stored ones (lists and objects whole). */
export type ExperimentChanges = Partial<NewExperiment>;

/** While running, only these may change (and of the variants, only the weights). */
export const CHANGEABLE_WHILE_RUNNING = ["traffic_share", "variants"] as const;

export interface Placement {
  /** The traffic_offset asked for, which overlapped… */
  requested: number;
  /** …and the free one the experiment was started at. */
  placed: number;
  overlapped: string[];
}

export async function createExperiment(deps: LifecycleDeps, input: NewExperiment, actor: string): Promise<ExperimentRow> {
  const modelVersions = await servableModelVersions(deps.db);
  for (let attempt = 1; ; attempt++) {
    const candidate = { ...input, id: experimentId(input.name), salt: randomBytes(8).toString("hex"), status: "draft" as const };
    const config = validOrThrow(candidate, modelVersions, "invalid");
    try {
      return await insertExperiment(deps.db, config, actor);
    } catch (error) {
      // 24 random bits make a clash of generated ids rare, not impossible.
      if (errorCode(error) !== "23505" || attempt >= 3) throw error;
    }
  }
}

export async function updateExperiment(deps: LifecycleDeps, id: string, changes: ExperimentChanges, actor: string): Promise<ExperimentRow> {
  return deps.db.transaction(async (tx) => {
    await lockExperiments(tx);
    const row = await existing(tx, id);
    if (row.status === "stopped") throw new ExperimentError("conflict", `experiment "${id}" is stopped and can no longer change`, [], "status");
    if (row.status === "running") assertChangeableWhileRunning(row.config, changes);

    const modelVersions = await servableModelVersions(tx);
    // Judged as a draft first: a problem of the config itself is the caller's to fix (400)…
    const config = validOrThrow({ ...row.config, ...changes, status: "draft" }, modelVersions, "invalid");
    const next: Experiment = { ...config, status: row.status };
    // …then, while running, against the other running experiments: a clash is a conflict (409).
    if (row.status === "running") validOrThrow(next, modelVersions, "conflict", await runningExperiments(tx));

    const diff = differences(row.config, next);
    if (Object.keys(diff).length === 0) return row;
    await writeConfig(tx, next);
    await recordEvent(tx, id, "updated", actor, { changes: diff });
    if (row.status === "running") await publishInTransaction(tx, deps.publisher, id, "updated", actor);
    return (await getExperiment(tx, id))!;
  });
}

export async function startExperiment(deps: LifecycleDeps, id: string, actor: string): Promise<{ row: ExperimentRow; placement: Placement | null }> {
  return deps.db.transaction(async (tx) => {
    await lockExperiments(tx);
    const row = await existing(tx, id);
    if (row.status === "running") throw new ExperimentError("conflict", `experiment "${id}" is already running`, [], "status");
    if (row.status === "stopped") {
      throw new ExperimentError(
        "conflict",
        `experiment "${id}" was stopped and cannot be restarted (its readout would mix two periods); create a new one`,
        [],
        "status",
      );
    }
    const running = (await runningExperiments(tx)).filter((r) => r.id !== id);
    let config: Experiment = { ...row.config, status: "running" };
    const placement = placeInFreeSlice(config, running);
    if (placement) config = { ...config, traffic_offset: placement.placed };
    const checked = validOrThrow(config, await servableModelVersions(tx), "conflict", running);

    await writeConfig(tx, checked, { started: true });
    await recordEvent(tx, id, "started", actor, placement ? { placement: placementDetail(placement) } : {});
    await publishInTransaction(tx, deps.publisher, id, "started", actor);
    return { row: (await getExperiment(tx, id))!, placement };
  });
}

/** `detail` goes into the "stopped" audit entry (a canary says why it stopped its experiment). */
export async function stopExperiment(deps: LifecycleDeps, id: string, actor: string, detail: Record<string, unknown> = {}): Promise<ExperimentRow> {
  return deps.db.transaction(async (tx) => {
    await lockExperiments(tx);
    const row = await existing(tx, id);
    if (row.status !== "running") {
      throw new ExperimentError("conflict", `experiment "${id}" is not running (status ${row.status}); only a running experiment can be stopped`, [], "status");
    }
    await writeConfig(tx, { ...row.config, status: "stopped" }, { stopped: true });
    await recordEvent(tx, id, "stopped", actor, detail);
    await emitWebhookEvent(tx, "experiment.stopped", { experiment_id: id, actor, ...detail });
    await publishInTransaction(tx, deps.publisher, id, "stopped", actor);
    return (await getExperiment(tx, id))!;
  });
}

/**
 * Publishes the running set without changing anything (at start-up, so an edge that
 * missed a publication or kept an old set converges). Waits for the edge with the
 * caller's (patient) retry options, outside the lock: a start or stop meanwhile
 * publishes its own set, and the set read before waiting may then have landed on top of
 * it — so afterwards, under the lock, the running set is read again and, if it changed,
 * published again. Each running experiment's audit records the publication.
 */
export async function publishRunningSet(deps: LifecycleDeps, actor: string, options: RetryOptions = {}): Promise<{ experiments: string[]; attempts: number }> {
  let attempts = 0;
  for (let round = 1; ; round++) {
    const running = await runningExperiments(deps.db);
    const set = experimentSet(running);
    attempts += (await deps.publisher.publish(set, options)).attempts;
    const confirmed = await deps.db.transaction(async (tx) => {
      await lockExperiments(tx);
      if (JSON.stringify(await runningExperiments(tx)) !== JSON.stringify(running)) return false;
      const ids = running.map((e) => e.id);
      await recordEvents(tx, ids, "published", actor, { published_at: set.published_at, experiments: ids, attempts, trigger: "startup" });
      return true;
    });
    if (confirmed) return { experiments: running.map((e) => e.id), attempts };
    // Changes keep racing this publication: theirs are published under the lock anyway.
    if (round >= 5) return { experiments: running.map((e) => e.id), attempts };
  }
}

// ---- helpers ----

async function existing(tx: Queryable, id: string): Promise<ExperimentRow> {
  const row = await getExperiment(tx, id, { forUpdate: true });
  if (!row) throw new ExperimentError("not_found", `no experiment "${id}"`, [], "id");
  return row;
}

/** Validates and returns the parsed config (defaults applied); throws with every problem otherwise. */
function validOrThrow(config: unknown, modelVersions: ReadonlySet<string>, kind: "invalid" | "conflict", running: readonly Experiment[] = []): Experiment {
  const problems = validateExperiment(config, { modelVersions, running });
  if (problems.length > 0) {
    throw new ExperimentError(kind, problems.map((p) => `${p.field}: ${p.message}`).join("; "), problems, problems[0]!.field);
  }
  return ExperimentSchema.parse(config);
}

/**
 * When every running experiment this one overlaps leaves room beside it (shares summing
 * to at most 1), the overlap is only where the slices sit: move this one to the lowest
 * free offset. Overlaps of targeting with shares summing above 1 cannot be placed and are
 * left to validation to report.
 */
function placeInFreeSlice(config: Experiment, running: readonly Experiment[]): Placement | null {
  const clashes = running.filter((r) => overlaps(config, r));
  if (clashes.length === 0 || clashes.some((r) => config.traffic_share + r.traffic_share > 1)) return null;
  const free = allocateTrafficOffset(config, running);
  if (free === null) return null;
  return { requested: config.traffic_offset, placed: free, overlapped: clashes.map((r) => r.id) };
}

function placementDetail(p: Placement): Record<string, unknown> {
  return {
    ...p,
    reason: `traffic_offset ${p.requested} overlapped running experiment(s) ${p.overlapped.map((id) => `"${id}"`).join(", ")}; started at the free traffic_offset ${p.placed} instead`,
  };
}

function assertChangeableWhileRunning(current: Experiment, changes: ExperimentChanges): void {
  const allowed = new Set<string>(CHANGEABLE_WHILE_RUNNING);
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined || allowed.has(field)) continue;
    throw new ExperimentError(
      "conflict",
      `${field} cannot change while the experiment is running: only traffic_share and the variants' weights can; stop it and create a new experiment to change anything else`,
      [],
      field,
    );
  }
  if (changes.variants === undefined) return;
  const next = changes.variants;
  if (next.length !== current.variants.length) {
    throw new ExperimentError(
      "conflict",
      `variants cannot be added or removed while the experiment is running (it has ${current.variants.length})`,
      [],
      "variants",
    );
  }
  next.forEach((v, i) => {
    const was = current.variants[i]!;
    if (v.key !== was.key) {
      throw new ExperimentError(
        "conflict",
        `variants.${i}.key must stay "${was.key}" while the experiment is running (only weights can change)`,
        [],
        `variants.${i}.key`,
      );
    }
    if (JSON.stringify(sortedKeys(v.changes ?? {})) !== JSON.stringify(sortedKeys(was.changes))) {
      throw new ExperimentError(
        "conflict",
        `variants.${i}.changes cannot change while the experiment is running (only weights can)`,
        [],
        `variants.${i}.changes`,
      );
    }
  });
}

/** Fields whose value differs, as {from, to}; for the audit trail. */
function differences(before: Experiment, after: Experiment): Record<string, { from: unknown; to: unknown }> {
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof Experiment>;
  for (const key of keys) {
    if (JSON.stringify(sortedKeys(before[key])) !== JSON.stringify(sortedKeys(after[key]))) diff[key] = { from: before[key] ?? null, to: after[key] ?? null };
  }
  return diff;
}

/** A copy with object keys sorted at every level: jsonb does not keep key order, so comparisons must not depend on it. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortedKeys(v)]),
    );
  }
  return value;
}

/**
 * Inside the change's transaction: send the running set as it will be once committed;
 * if the edge does not take it, throwing rolls the change back.
 */
async function publishInTransaction(tx: Queryable, publisher: ExperimentSetPublisher, experimentId: string, trigger: string, actor: string): Promise<void> {
  const running = await runningExperiments(tx);
  const set = experimentSet(running);
  let attempts: number;
  try {
    ({ attempts } = await publisher.publish(set));
  } catch (error) {
    throw new ExperimentError("edge_unavailable", `the edge did not take the experiment set: ${describeError(error)}; nothing was changed`);
  }
  await recordEvent(tx, experimentId, "published", actor, {
    published_at: set.published_at,
    experiments: running.map((e) => e.id),
    attempts,
    trigger,
  });
}

/** "Homepage ranker v2!" → "homepage-ranker-v2-3fa9c1": readable, unique, and a valid experiment id. */
export function experimentId(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48)
    .replace(/-+$/, "");
  return `${slug || "experiment"}-${randomBytes(3).toString("hex")}`;
}
