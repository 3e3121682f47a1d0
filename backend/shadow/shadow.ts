/**
 * Shadow rollout of a model version: it scores a sample of live "for you" requests at
 * the edge next to the version that serves them, and its lists are logged for
 * comparison but never shown (worker/shadow/). A safe first look at real traffic before
 * a canary exposes anyone to the new version.
 *
 * One shadow at a time (a partial unique index): each costs a second scoring of its
 * sampled requests at the edge. Start and stop reach the edge inside the transaction,
 * so a refusal there leaves the database unchanged. Both are audited in model_events.
 */
import { DEFAULT_SHADOW_SAMPLE_PERCENT } from "../../models/shadow.js";
import type { Db } from "../db/client.js";
import { currentChampion, getVersion, recordModelEvent } from "../registry/model-registry.js";
import type { ShadowComparison } from "./shadow-comparison.js";
import type { ShadowPublisher } from "./shadow-publisher.js";
import { shadowReport } from "./shadow-report.js";
import { insertShadow, latestShadowOf, runningShadow, stopShadowRow, type ShadowRow } from "./shadow-store.js";

export { DEFAULT_SHADOW_SAMPLE_PERCENT };

export interface ShadowDeps {
  db: Db;
  shadowPublisher: ShadowPublisher;
  attributionWindowHours: number;
}

export class ShadowError extends Error {
  override readonly name = "ShadowError";
  constructor(
    readonly kind: "not_found" | "conflict",
    message: string,
  ) {
    super(message);
  }
}

export async function startShadow(deps: ShadowDeps, version: string, samplePercent: number, actor: string): Promise<ShadowRow> {
  return deps.db.transaction(async (tx) => {
    const row = await getVersion(tx, version);
    if (!row) throw new ShadowError("not_found", `no model version "${version}"`);
    if (row.status === "failed" || row.publishedAt === null) throw new ShadowError("conflict", `version "${version}" is not published to the edge`);
    const champion = await currentChampion(tx);
    if (!champion) throw new ShadowError("conflict", "there is no champion to compare a shadow with; promote a version first");
    if (champion.version === version) throw new ShadowError("conflict", `version "${version}" is the champion; it is served, not shadowed`);
    const running = await runningShadow(tx);
    if (running) throw new ShadowError("conflict", `a shadow of "${running.version}" is already running; stop it first`);
    const shadow = await insertShadow(tx, { version, championVersion: champion.version, samplePercent, createdBy: actor });
    await recordModelEvent(tx, version, "shadow_started", actor, { sample_percent: samplePercent, champion: champion.version });
    await deps.shadowPublisher.set({ version, sample_percent: samplePercent });
    return shadow;
  });
}

export async function stopShadow(deps: ShadowDeps, version: string, actor: string): Promise<ShadowRow> {
  return deps.db.transaction(async (tx) => {
    const running = await runningShadow(tx);
    if (!running || running.version !== version) throw new ShadowError("not_found", `no shadow of "${version}" is running`);
    const stopped = (await stopShadowRow(tx, running.id))!;
    await recordModelEvent(tx, version, "shadow_stopped", actor, {});
    await deps.shadowPublisher.set(null);
    return stopped;
  });
}

export interface ShadowReadout {
  shadow: ShadowRow;
  comparison: ShadowComparison;
}

export async function shadowReadout(deps: ShadowDeps, version: string): Promise<ShadowReadout | null> {
  const shadow = await latestShadowOf(deps.db, version);
  if (!shadow) return null;
  return { shadow, comparison: await shadowReport(deps.db, version, shadow.createdAt, deps.attributionWindowHours) };
}
