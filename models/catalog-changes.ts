/**
 * How catalog records change in the feature store, so the edge can serve a model
 * version's catalog snapshot (catalog.json) and read live only what changed after it.
 *
 * The backend writes every record with one Lua script that, atomically per call:
 *   - sets `recs:item:<id>` only when its value differs from the stored one, and then
 *     scores the id in `recs:catalog:changed` with the write time (ms). A re-send of an
 *     unchanged record (the catalog sync's full re-send after a restart) is no change,
 *     so it does not push every item out of the snapshot;
 *   - keeps `recs:catalog:since`, the time from which the change set is complete: the
 *     retention horizon (now − CATALOG_CHANGE_RETENTION_MS), as changes older than that are
 *     trimmed.
 * The edge trusts a snapshot taken at T only when `since` ≤ T: every change after T is
 * then in the set (worker/features/catalog-overlay.ts). A store that lost its data has no
 * `since` until the backend writes again, and its catalog sync then re-sends every record,
 * each stamped as a change, so the snapshot answers only for records not yet re-sent.
 */
import { keys } from "./feature-keys.js";

/** Changes are kept this long: a version serving from an older snapshot reads records live. */
export const CATALOG_CHANGE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * A snapshot's time is its read's start minus this, so a change stamped by a backend
 * replica whose clock runs behind the trainer's (by up to this) still counts as after the
 * snapshot. Stamps and snapshot times come from the backend hosts' clocks; a larger skew
 * than this could leave a change unseen by that version's edge until the next version.
 */
export const CATALOG_CLOCK_SKEW_MS = 2_000;

// KEYS: changed, since, item keys…   ARGV: now, horizon, then id, record per item key.
export const RECORD_WRITE_SCRIPT = `
local now, horizon = tonumber(ARGV[1]), tonumber(ARGV[2])
local changed = 0
for i = 3, #KEYS do
  local id, value = ARGV[2 * (i - 3) + 3], ARGV[2 * (i - 3) + 4]
  if redis.call('GET', KEYS[i]) ~= value then
    redis.call('SET', KEYS[i], value)
    redis.call('ZADD', KEYS[1], now, id)
    changed = changed + 1
  end
end
local since = tonumber(redis.call('GET', KEYS[2]) or '')
if since == nil or since < horizon then
  redis.call('SET', KEYS[2], ARGV[2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
return changed
`;

export interface RecordWrite {
  keys: string[];
  args: string[];
}

/** The script's keys and arguments for writing `records` (id → record JSON) at `now`. */
export function recordWrite(records: ReadonlyArray<readonly [itemId: string, json: string]>, now: number): RecordWrite {
  const horizon = now - CATALOG_CHANGE_RETENTION_MS;
  return {
    keys: [keys.catalogChanged(), keys.catalogCompleteSince(), ...records.map(([id]) => keys.item(id))],
    args: [String(now), String(horizon), ...records.flat()],
  };
}
