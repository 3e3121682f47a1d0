/**
 * Seeded synthetic interaction logs with planted taste clusters, for tests that must
 * show a personalised model beats a non-personalised one without any external dataset.
 */
import { mulberry32 } from "../../models/prng.js";
import type { Interaction } from "./interactions.js";

export { mulberry32 };

export interface ClusterLogOptions {
  readonly seed?: number;
  readonly clusters?: number;
  readonly itemsPerCluster?: number;
  readonly users?: number;
  readonly eventsPerUser?: number;
  /** Probability an event is outside the user's cluster. */
  readonly noise?: number;
}

/**
 * Each user belongs to one cluster and mostly picks items from it; within a cluster and
 * overall, item choice is skewed (a few popular items) so popularity is a fair opponent.
 * Timestamps interleave users so a global time cut leaves every user with history.
 */
export function clusteredLog(options: ClusterLogOptions = {}): Interaction[] {
  const rand = mulberry32(options.seed ?? 1);
  const clusters = options.clusters ?? 5;
  const perCluster = options.itemsPerCluster ?? 20;
  const users = options.users ?? 200;
  const events = options.eventsPerUser ?? 12;
  const noise = options.noise ?? 0.1;
  // Squaring a uniform draw skews choice towards low indices: a popularity head.
  const skewed = (n: number) => Math.floor(rand() * rand() * n);
  const log: Interaction[] = [];
  for (let u = 0; u < users; u++) {
    const cluster = u % clusters;
    for (let e = 0; e < events; e++) {
      const c = rand() < noise ? Math.floor(rand() * clusters) : cluster;
      const item = `c${c}-i${skewed(perCluster)}`;
      log.push({ user_id: `u${u}`, item_id: item, ts: e * users + u, weight: 10 });
    }
  }
  return log;
}
