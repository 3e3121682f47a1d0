/**
 * Keeps the feature store's item records in step with the catalog. Postgres is the
 * system of record: an upsert succeeds even when Redis is down, and the items are then
 * "pending". A background loop (every 30 s by default) re-sends every item updated
 * since the oldest pending change until a pass succeeds.
 *
 * Pending state lives in memory; `markAllPending()` at start-up (a full re-send) covers
 * changes left pending by a previous process and a feature store that lost its data.
 */
import type { CatalogItem } from "../../models/catalog.js";
import type { Db } from "../db/client.js";
import { describeError } from "../describe-error.js";
import type { FeatureStore } from "../feature-store/feature-store.js";
import type { Logger } from "../logger.js";
import type { BackendMetrics } from "../metrics/backend-metrics.js";
import { itemsUpdatedSince, toItemRecordSource } from "./catalog-repository.js";

export type SyncState = "synced" | "pending";

export interface CatalogSync {
  /** Writes freshly upserted items; on failure remembers them (from `updatedAt`) as pending. */
  push(batch: readonly CatalogItem[], updatedAt: Date): Promise<SyncState>;
  /** One re-sync pass of everything pending; true when nothing is pending afterwards. */
  resyncPending(): Promise<boolean>;
  markAllPending(): void;
  pendingSince(): Date | null;
  start(intervalMs?: number): void;
  stop(): void;
}

export interface CatalogSyncDeps {
  db: Db;
  featureStore: Pick<FeatureStore, "writeItemRecords">;
  logger: Logger;
  metrics: BackendMetrics;
}

const PAGE = 1000;
export const DEFAULT_RESYNC_INTERVAL_MS = 30_000;

export function createCatalogSync(deps: CatalogSyncDeps): CatalogSync {
  let pending: Date | null = null;
  // Bumped on every failed push, so a pass that started before it does not clear it.
  let failures = 0;
  let running: Promise<boolean> | null = null;
  let timer: NodeJS.Timeout | null = null;

  function markPending(since: Date): void {
    failures += 1;
    if (pending === null || since < pending) pending = since;
  }

  async function pass(): Promise<boolean> {
    if (pending === null) return true;
    const since = pending;
    const failuresAtStart = failures;
    let after: { updatedAt: Date; itemId: string } | null = null;
    let sent = 0;
    try {
      for (;;) {
        const rows = await itemsUpdatedSince(deps.db, since, after, PAGE);
        if (rows.length === 0) break;
        await deps.featureStore.writeItemRecords(rows.map(toItemRecordSource));
        sent += rows.length;
        const last = rows.at(-1)!;
        after = { updatedAt: last.updatedAt, itemId: last.itemId };
        if (rows.length < PAGE) break;
      }
    } catch (error) {
      deps.metrics.recordFeatureStoreSync("failed", 1);
      deps.logger.warn("feature store re-sync failed; will retry", { error: describeError(error), since: since.toISOString() });
      return false;
    }
    deps.metrics.recordFeatureStoreSync("synced", sent);
    if (failures === failuresAtStart) pending = null;
    deps.logger.info("feature store re-sync done", { items: sent, since: since.toISOString() });
    return pending === null;
  }

  const sync: CatalogSync = {
    async push(batch, updatedAt) {
      try {
        await deps.featureStore.writeItemRecords(batch);
        deps.metrics.recordFeatureStoreSync("synced", batch.length);
        return "synced";
      } catch (error) {
        markPending(updatedAt);
        deps.metrics.recordFeatureStoreSync("failed", batch.length);
        deps.logger.warn("feature store write failed; items pending re-sync", {
          error: describeError(error),
          items: batch.length,
        });
        return "pending";
      }
    },
    resyncPending() {
      // Single flight: the timer and an explicit call never run two passes at once.
      running ??= pass().finally(() => {
        running = null;
      });
      return running;
    },
    markAllPending() {
      markPending(new Date(0));
    },
    pendingSince: () => pending,
    start(intervalMs = DEFAULT_RESYNC_INTERVAL_MS) {
      if (timer) return;
      timer = setInterval(() => void sync.resyncPending(), intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
  return sync;
}
