/**
 * Time-decayed popularity without rewriting old scores: forward decay
 * (Cormode, Shkapenyuk, Srivastava, Xu, "Forward Decay: A Practical Time Decay Model
 * for Streaming Systems", ICDE 2009).
 *
 * An event of weight w at time t adds w·2^((t − L)/h) to the item's score in the key
 * of landmark L; the decayed value at time `now` is score·2^(−(now − L)/h). Landmarks
 * move every EPOCH_HALF_LIVES half-lives to a new key so scores stay far inside double
 * precision; the previous key is read with a factor 2^(−EPOCH_HALF_LIVES).
 */
import { EPOCH_HALF_LIVES, WINDOW_HALF_LIFE_MS, type PopularityWindow } from "../../models/feature-keys.js";

export function epochLengthMs(window: PopularityWindow): number {
  return WINDOW_HALF_LIFE_MS[window] * EPOCH_HALF_LIVES;
}

export function epochOf(window: PopularityWindow, ts: number): number {
  return Math.floor(ts / epochLengthMs(window));
}

/** What an event adds to its epoch's key, or null when it is too old to matter (two epochs back). */
export function forwardIncrement(window: PopularityWindow, weight: number, ts: number, now: number): { epoch: number; increment: number } | null {
  if (weight <= 0) return null;
  const epoch = epochOf(window, ts);
  if (epoch < epochOf(window, now) - 1) return null;
  const landmark = epoch * epochLengthMs(window);
  return { epoch, increment: weight * 2 ** ((ts - landmark) / WINDOW_HALF_LIFE_MS[window]) };
}

/** Converts a stored score of `epoch` to the decayed weight it stands for at `now`. */
export function decayedValue(window: PopularityWindow, epoch: number, score: number, now: number): number {
  const landmark = epoch * epochLengthMs(window);
  return score * 2 ** (-(now - landmark) / WINDOW_HALF_LIFE_MS[window]);
}

/** The two epochs whose keys hold everything that still matters at `now`, newest first. */
export function liveEpochs(window: PopularityWindow, now: number): [number, number] {
  const current = epochOf(window, now);
  return [current, current - 1];
}

/**
 * Merges the current and previous epoch's top lists into decayed values at `now`,
 * best first. Members in both lists are summed.
 */
export function mergeEpochLists(
  window: PopularityWindow,
  now: number,
  lists: ReadonlyArray<{ epoch: number; entries: ReadonlyArray<[string, number]> }>,
  limit: number,
): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const { epoch, entries } of lists) {
    for (const [member, score] of entries) {
      totals.set(member, (totals.get(member) ?? 0) + decayedValue(window, epoch, score, now));
    }
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
}
