/**
 * Erasure of one user in every store, each attempted on its own so one unreachable
 * store does not stop the others; the answer names what was erased per store and which
 * stores were unreachable (the caller retries: every step is idempotent).
 *
 *  - session object: history, consumed items, experiment assignments, links, consent —
 *    all but the tombstone `erased_at`;
 *  - Redis: the user's history keys (`recs:ur:`, `recs:up:`, and the trained history
 *    `recs:uh:` the backend publishes with each version), the idempotency marks of
 *    the events the session held (an event id may embed the user id), and the tombstone
 *    `recs:tomb:{hash}` the queue consumer checks;
 *  - Postgres, through the backend: interactions, feedback, served and shadow lists, the
 *    users row, and the tombstone in erased_users;
 *  - R2: the user's rows in dead-lettered batches.
 * No user vectors exist to erase: the edge folds a user's vector in from their history
 * per request and never stores it; only item vectors are published. KV holds no
 * per-user data (key set, model pointer, experiments, the non-personal popular list).
 */
import { keys } from "../../models/feature-keys.js";
import type { SessionErasure } from "../../durable-objects/user-session.js";
import type { Env } from "../env.js";
import { redisClient } from "../features/redis-client.js";
import { sessionStub } from "../session/session-store.js";
import { writeRedisTombstone } from "./redis-tombstones.js";
import { scrubDeadLetters } from "./scrub-dead-letters.js";

const REDIS_BUDGET_MS = 3_000;
const BACKEND_BUDGET_MS = 10_000;

export type ErasedCounts = Record<string, number>;

export interface ErasureReport {
  user_id: string;
  user_hash: string;
  erased_at: string;
  /** Per store that answered: what it removed. */
  erased: Record<string, ErasedCounts>;
  /** Stores holding a tombstone after this call. */
  tombstones: string[];
  /** Stores that could not be reached or failed: retry the DELETE. */
  degraded: string[];
}

export async function eraseEverywhere(env: Env, userId: string, userHash: string, erasedAt: number): Promise<ErasureReport> {
  const erased: Record<string, ErasedCounts> = {};
  const tombstones: string[] = [];
  const degraded: string[] = [];
  const attempt = async (store: string, fn: () => Promise<ErasedCounts>, tombstone: boolean) => {
    try {
      erased[store] = await fn();
      if (tombstone) tombstones.push(store);
    } catch (err) {
      degraded.push(store);
      console.warn(JSON.stringify({ level: "warn", msg: `erase in ${store} failed`, user_hash: userHash, error: String(err) }));
    }
  };
  // Started once and shared: the Redis step needs the event ids the object held.
  const session: Promise<SessionErasure> = Promise.resolve().then(() => sessionStub(env, userId).erase(erasedAt));
  // The Redis step waits for the session's event ids but must not fail with it.
  const heldEventIds = session.then(
    (s) => s.event_ids,
    () => [],
  );
  await Promise.all([
    attempt(
      "session",
      async () => {
        const s = await session;
        return { events: s.events, consumed: s.consumed, assignments: s.assignments };
      },
      true,
    ),
    attempt("redis", () => eraseInRedis(env, userId, userHash, erasedAt, heldEventIds), true),
    attempt("postgres", () => eraseInBackend(env, userId, erasedAt), true),
    attempt("dead_letters", () => scrubDeadLetters(env.ARTIFACTS, userId), false),
  ]);
  // audit: record the erasure (actor, target = userHash, stores erased / degraded) once the audit log lands.
  return { user_id: userId, user_hash: userHash, erased_at: new Date(erasedAt).toISOString(), erased, tombstones, degraded };
}

/** Tombstone first, so a consumer batch that reads it after this point drops the user's events. */
async function eraseInRedis(env: Env, userId: string, userHash: string, erasedAt: number, heldEventIds: Promise<string[]>): Promise<ErasedCounts> {
  const redis = redisClient(env, REDIS_BUDGET_MS);
  await writeRedisTombstone(redis, userHash, erasedAt);
  const history = await redis.del(keys.userRecent(userId), keys.userPurchases(userId), keys.trainedHistory(userId));
  const marks = (await heldEventIds).map(keys.eventSeen);
  const markCount = marks.length > 0 ? await redis.del(...marks) : 0;
  return { keys: history + markCount };
}

async function eraseInBackend(env: Env, userId: string, erasedAt: number): Promise<ErasedCounts> {
  const url = new URL(`/internal/v1/users/${encodeURIComponent(userId)}`, env.BACKEND_URL);
  url.searchParams.set("erased_at", String(erasedAt));
  const res = await fetch(url, {
    method: "DELETE",
    headers: { authorization: `Bearer ${env.BACKEND_TOKEN ?? ""}` },
    signal: AbortSignal.timeout(BACKEND_BUDGET_MS),
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`backend answered ${res.status}`);
  }
  const body = (await res.json()) as { deleted?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(body.deleted ?? {}).filter((e): e is [string, number] => typeof e[1] === "number"));
}
