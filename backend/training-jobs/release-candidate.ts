/**
 * What happens to a trained candidate: recorded in the registry, judged by the gates
 * against the current champion, and — only if it passes — uploaded, activated at the
 * edge and promoted. Each step is written to the registry before the next one starts,
 * so a failure leaves a truthful record: a rejected version was never uploaded, a
 * 'failed' one never finished uploading, a published candidate was not activated.
 */
import type { Db } from "../db/client.js";
import type { GateDecision } from "../db/schema.js";
import { describeError } from "../describe-error.js";
import { decideGate, type GateConfig } from "../registry/gates.js";
import {
  currentChampion,
  insertCandidate,
  markFailed,
  markPublished,
  promote,
  recordGate,
  rejectVersion,
  type ModelVersionRow,
} from "../registry/model-registry.js";
import type { HistoryPublisher } from "./history-publisher.js";
import type { ModelPublisher, TrainedCandidate } from "./types.js";

export interface ReleaseDeps {
  db: Db;
  publisher: ModelPublisher;
  gate: GateConfig;
  /** Absent: the edge personalises from live sessions only. */
  histories?: HistoryPublisher;
}

export interface ReleaseContext {
  jobId: string;
  /** Written to the job row as each step starts. */
  step(message: string): Promise<void>;
}

export type ReleaseOutcome =
  | { promoted: true; version: string; previous: string | null; gate: GateDecision }
  | { promoted: false; version: string; gate: GateDecision };

export async function releaseCandidate(deps: ReleaseDeps, c: TrainedCandidate, ctx: ReleaseContext): Promise<ReleaseOutcome> {
  const actor = `training:${ctx.jobId}`;
  const champion = await currentChampion(deps.db);
  await insertCandidate(deps.db, newVersion(c, champion, ctx.jobId), actor);
  await ctx.step("evaluating the gates");
  // The champion's recipe re-scored on the candidate's own split, when the trainer did so
  // for this very champion; else its stored figures, measured on its own window.
  const rescored = champion !== null && c.championMetrics?.version === champion.version;
  const championReport = champion ? { version: champion.version, metrics: rescored ? c.championMetrics!.metrics : champion.metrics, rescored } : null;
  const gate = decideGate({ candidate: c, champion: championReport }, deps.gate);
  if (!gate.passed) {
    await rejectVersion(deps.db, c.version, gate, actor);
    return { promoted: false, version: c.version, gate };
  }
  await recordGate(deps.db, c.version, gate);
  await publish(deps, c, actor, ctx);
  await publishHistories(deps, c, ctx);
  await activate(deps, c.version, ctx);
  const { previous } = await promote(deps.db, c.version, actor);
  return { promoted: true, version: c.version, previous, gate };
}

async function publish(deps: ReleaseDeps, c: TrainedCandidate, actor: string, ctx: ReleaseContext): Promise<void> {
  await ctx.step("publishing to the edge");
  let manifestSha256: string;
  try {
    ({ manifestSha256 } = await deps.publisher.publish(c));
  } catch (error) {
    await markFailed(deps.db, c.version);
    throw new Error(`publishing ${c.version} failed: ${describeError(error)}`, { cause: error });
  }
  await markPublished(deps.db, c.version, manifestSha256, actor);
}

/**
 * A feature store that is down costs the imported users their personal lists until the
 * next training, not the release: the step message says so.
 */
async function publishHistories(deps: ReleaseDeps, c: TrainedCandidate, ctx: ReleaseContext): Promise<void> {
  if (!deps.histories || !c.userHistories || c.userHistories.size === 0) return;
  const n = c.userHistories.size;
  await ctx.step(`publishing the trained histories of ${n} user${n === 1 ? "" : "s"}`);
  try {
    await deps.histories.publish(c.userHistories);
  } catch (error) {
    await ctx.step(`trained histories not published (${describeError(error)}); the edge personalises from live sessions only`);
  }
}

async function activate(deps: ReleaseDeps, version: string, ctx: ReleaseContext): Promise<void> {
  await ctx.step("activating at the edge");
  try {
    await deps.publisher.activate(version);
  } catch (error) {
    // Uploaded and intact, only the pointer flip failed: promoting it later is one call.
    throw new Error(
      `${version} was published but not activated at the edge (${describeError(error)}); ` + `retry with POST /api/v1/recs/models/${version}/promote`,
      { cause: error },
    );
  }
}

function newVersion(c: TrainedCandidate, champion: ModelVersionRow | null, jobId: string) {
  return {
    version: c.version,
    modelType: c.modelType,
    params: c.params,
    dataWindow: c.dataWindow,
    metrics: c.metrics,
    baselineMetrics: c.baselineMetrics,
    artifacts: c.artifacts.map((a) => ({ name: a.name, role: a.role, sha256: a.sha256, bytes: a.bytes.byteLength })),
    parentVersion: champion?.version ?? null,
    trainingId: jobId,
  };
}
