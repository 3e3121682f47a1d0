/**
 * Ties the feature store to the system of record. Redis holds state derived from one
 * database: item records, popularity and co-occurrence counts, dedupe marks, trained
 * histories. Pointed at another database (a new one after a demo run, say), that state
 * would describe items and events the new database has never seen, and the edge would
 * serve them. So at start-up the backend compares the owner recorded in Redis with its
 * database's id; when they differ, every `recs:*` key is deleted and the store is
 * claimed. Same database, same store: nothing happens, so restarts and several backends
 * on one database keep the live state.
 *
 * A store that cannot be reached at start-up is claimed by a retry in the background.
 */
import type { Db } from "../db/client.js";
import { databaseId } from "../db/database-identity.js";
import { describeError } from "../describe-error.js";
import type { Logger } from "../logger.js";
import type { FeatureStore } from "./feature-store.js";

export type ClaimOutcome = { kind: "owned" } | { kind: "claimed"; previous: string | null; deleted: number };

export async function claimFeatureStore(db: Db, store: Pick<FeatureStore, "owner" | "resetFor">): Promise<ClaimOutcome> {
  const id = await databaseId(db);
  const previous = await store.owner();
  if (previous === id) return { kind: "owned" };
  return { kind: "claimed", previous, deleted: await store.resetFor(id) };
}

/** One attempt, logged; false when the store (or the database) could not be reached. */
export async function claimOnce(db: Db, store: Pick<FeatureStore, "owner" | "resetFor">, logger: Logger): Promise<boolean> {
  try {
    const outcome = await claimFeatureStore(db, store);
    if (outcome.kind === "claimed") {
      const from = outcome.previous === null ? "none recorded" : outcome.previous;
      logger.info("feature store claimed for this database; its keys from before were deleted", { previous_owner: from, deleted_keys: outcome.deleted });
    }
    return true;
  } catch (error) {
    logger.warn("feature store not claimed yet; will retry", { error: describeError(error) });
    return false;
  }
}

/** Retries every `retryMs` until a claim succeeds (then `onClaimed`) or `signal` aborts. */
export async function keepClaiming(
  db: Db,
  store: Pick<FeatureStore, "owner" | "resetFor">,
  logger: Logger,
  signal: AbortSignal,
  onClaimed: () => void,
  retryMs = 30_000,
): Promise<void> {
  while (!signal.aborted) {
    await new Promise((r) => setTimeout(r, retryMs).unref());
    if (signal.aborted) return;
    if (await claimOnce(db, store, logger)) return onClaimed();
  }
}
