import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { uniq } from "../test-support/fixtures.js";
import { keys } from "../../models/feature-keys.js";
import { DEV_USER_ID_HASH_KEY, hashUserId } from "../../models/user-hash.js";
import { redisClient } from "../features/redis-client.js";
import { dropErased } from "./drop-erased.js";
import { writeRedisTombstone } from "./redis-tombstones.js";

const redis = () => redisClient(env, 2_000);
const event = (user: string, receivedAt: number) => ({
  event_id: uniq("e"),
  user_id: user,
  session_id: null,
  item_id: "i",
  type: "view" as const,
  value: null,
  ts: receivedAt,
  context: null,
  received_at: receivedAt,
});

describe("dropErased", () => {
  it("removes the history an erasure missed while the batch was being written", async () => {
    const user = uniq("raced");
    const checked = await dropErased(redis(), { events: [event(user, Date.now())], feedback: [], served: [], shadow: [], rejected: [] }, DEV_USER_ID_HASH_KEY);
    expect(checked.batch.events).toHaveLength(1);
    // The erasure lands now: tombstone written, history deleted — then the batch writes history.
    await writeRedisTombstone(redis(), await hashUserId(user, DEV_USER_ID_HASH_KEY), Date.now());
    await redis().lpush(keys.userRecent(user), "i");
    expect(await checked.sweepRaced()).toBe(1);
    expect(await redis().exists(keys.userRecent(user))).toBe(0);
  });

  it("leaves the new history of a user erased before the batch alone", async () => {
    const user = uniq("reborn");
    const erasedAt = Date.now() - 10_000;
    await writeRedisTombstone(redis(), await hashUserId(user, DEV_USER_ID_HASH_KEY), erasedAt);
    const checked = await dropErased(
      redis(),
      { events: [event(user, erasedAt + 1)], feedback: [], served: [], shadow: [], rejected: [] },
      DEV_USER_ID_HASH_KEY,
    );
    expect(checked.dropped.events).toBe(0);
    await redis().lpush(keys.userRecent(user), "i");
    expect(await checked.sweepRaced()).toBe(0);
    expect(await redis().exists(keys.userRecent(user))).toBe(1);
  });
});
