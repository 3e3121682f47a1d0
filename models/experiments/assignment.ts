/**
 * Experiment assignment: which experiment and variant a request is served, computed
 * from the unit id alone (user id, or session id while the user is anonymous), so every
 * isolate, every edge location and every repeated request gives the same answer with no
 * shared state. The session Durable Object then makes it sticky (`assign` in
 * durable-objects/user-session.ts): the first answer is stored and wins from then on.
 *
 * Hash: MurmurHash3 x86_32 (Austin Appleby, public domain), in pure TypeScript because
 * WebCrypto's digest is async and assignment sits on the synchronous path of every
 * request. It is not cryptographic and need not be: units are not adversaries choosing
 * their bucket, and its finaliser (fmix32) avalanches every input bit, which FNV-1a's
 * low bits do not do well for ids that differ only in their last characters
 * (user-1, user-2, …). The output matches the reference C++ (smhasher's
 * MurmurHash3_x86_32) over the UTF-8 bytes; the tests pin its published vectors.
 *
 * Buckets: `bucketOf(unit, salt) = murmur3("<salt>:<unit>") mod 10,000`. 2^32 is not a
 * multiple of 10,000, so buckets below 7,296 are 1 in 429,496 more likely than the rest:
 * a bias of 2·10⁻⁶, far below anything an experiment can measure.
 *
 * Two independent buckets per unit:
 * - the traffic bucket, `bucketOf(unit, TRAFFIC_SALT)`, one per unit for all experiments:
 *   experiments take disjoint slices of it (traffic_offset, traffic_share), which is what
 *   makes refused overlaps impossible at serving time (see ./experiment.ts);
 * - the variant bucket, `bucketOf(unit, experiment.salt)`, split by cumulative weights.
 * TRAFFIC_SALT holds '#', which experiment salts may not, so no experiment's variant
 * bucket can equal the traffic bucket. With one bucket for both, a 10 % slice would be
 * buckets 0–999 and land entirely in the first variant; with different salts the hash
 * makes the two as good as independent (the tests check the split inside a slice).
 */
import { BUCKETS, type Experiment, type Targeting, type Variant, toBuckets } from "./experiment.js";

/** Salt of the shared traffic space; '#' keeps it apart from every experiment salt. */
export const TRAFFIC_SALT = "#traffic";

const encoder = new TextEncoder();

/** MurmurHash3_x86_32 of `key` (UTF-8 for text) as an unsigned 32-bit integer. */
export function murmurHash3x86_32(key: string | Uint8Array, seed = 0): number {
  const data = typeof key === "string" ? encoder.encode(key) : key;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const len = data.length;
  const nblocks = len >>> 2;
  let h1 = seed >>> 0;

  for (let i = 0; i < nblocks; i++) {
    const o = i << 2;
    // Little-endian block read, as the reference does on x86.
    let k1 = (data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24)) >>> 0;
    k1 = Math.imul(k1, c1);
    k1 = rotl32(k1, 15);
    k1 = Math.imul(k1, c2);
    h1 ^= k1;
    h1 = rotl32(h1, 13);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  }

  // The reference's fall-through switch over the 1–3 trailing bytes.
  const tail = nblocks << 2;
  const rest = len & 3;
  if (rest > 0) {
    let k1 = 0;
    if (rest === 3) k1 ^= data[tail + 2]! << 16;
    if (rest >= 2) k1 ^= data[tail + 1]! << 8;
    k1 ^= data[tail]!;
    k1 = Math.imul(k1, c1);
    k1 = rotl32(k1, 15);
    k1 = Math.imul(k1, c2);
    h1 ^= k1;
  }

  h1 ^= len;
  // fmix32
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** The unit's bucket in [0, 10,000) under a salt. */
export function bucketOf(unitId: string, salt: string): number {
  return murmurHash3x86_32(`${salt}:${unitId}`) % BUCKETS;
}

/** The unit's bucket in the traffic space shared by all experiments. */
export function trafficBucketOf(unitId: string): number {
  return bucketOf(unitId, TRAFFIC_SALT);
}

/**
 * Whether a traffic bucket falls in the slice [offset, offset + share) of the traffic
 * space. `bucket` must come from `trafficBucketOf`, never from the variant bucket.
 */
export function inTraffic(bucket: number, trafficShare: number, trafficOffset = 0): boolean {
  const start = toBuckets(trafficOffset);
  return bucket >= start && bucket < start + toBuckets(trafficShare);
}

/**
 * The variant owning a variant bucket: variants take consecutive ranges of the 10,000
 * buckets in their listed order, each weight/100 of them (weights sum to 100 in a parsed
 * experiment; any positive total is split proportionally). Zero-weight variants get none.
 */
export function variantFor<V extends Pick<Variant, "weight">>(bucket: number, variants: readonly V[]): V {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= BUCKETS) throw new RangeError(`bucket must be an integer in [0, ${BUCKETS}), not ${bucket}`);
  const total = variants.reduce((s, v) => s + v.weight, 0);
  if (!(total > 0)) throw new RangeError("variants must have a positive total weight");
  let cumulative = 0;
  for (const v of variants) {
    cumulative += v.weight;
    if (bucket < Math.floor((cumulative * BUCKETS) / total)) return v;
  }
  // Unreachable: the last threshold is exactly BUCKETS. Kept for the type checker.
  return variants[variants.length - 1]!;
}

/** What targeting is judged on; null when the edge does not know (which matches only "any"). */
export interface TargetingRequest {
  /** `?context=` (home, pdp, cart, email, …). */
  context: string | null;
  /** ISO 3166-1 alpha-2, e.g. from `request.cf.country`. */
  country: string | null;
  device: string | null;
  /** Whether the unit has been seen before this request; null when unknown. */
  returning: boolean | null;
}

/**
 * Whether a request matches a targeting: every listed dimension must hold the request's
 * value; an absent list matches anything, including an unknown value. An unknown value
 * never matches a list, so an experiment for "mobile" is not shown when the device is
 * not known.
 */
export function matchesTargeting(targeting: Targeting, request: TargetingRequest): boolean {
  if (targeting.contexts && !(request.context !== null && targeting.contexts.includes(request.context.toLowerCase()))) return false;
  if (targeting.countries && !(request.country !== null && targeting.countries.includes(request.country.toUpperCase()))) return false;
  if (targeting.devices && !(request.device !== null && (targeting.devices as readonly string[]).includes(request.device.toLowerCase()))) return false;
  const audience = targeting.audience ?? "all";
  if (audience === "new" && request.returning !== false) return false;
  if (audience === "returning" && request.returning !== true) return false;
  return true;
}

export interface ExperimentChoice {
  experiment: Experiment;
  variant: Variant;
  /** "stored": the unit's sticky assignment; "bucket": computed now (store it with `assign`). */
  source: "stored" | "bucket";
}

/**
 * The experiment and variant for a request, or null when it is in none.
 *
 * Only running experiments whose targeting matches are eligible. A sticky assignment in
 * `stored` (experiment id → variant key, from the session object's `assignments()`) wins
 * over the buckets, even if the traffic share or the weights have changed since: users
 * already assigned keep their variant, and an anonymous session's assignments carried to
 * the logged-in user keep applying although the user id buckets differently. A stored key
 * that is no longer a variant of the experiment is ignored. To take users out of a
 * variant, stop the experiment.
 *
 * Otherwise the unit's traffic bucket picks the (validated: at most one) experiment whose
 * slice holds it, and the variant bucket picks the variant. Eligible experiments are
 * visited in id order (code-unit order, not locale order), so even a published set that
 * broke the overlap rule gives the same answer in every isolate.
 */
export function chooseExperiment(
  experiments: readonly Experiment[],
  request: TargetingRequest,
  unitId: string,
  stored?: ReadonlyMap<string, string>,
): ExperimentChoice | null {
  const eligible = experiments
    .filter((e) => e.status === "running" && matchesTargeting(e.targeting, request))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (eligible.length === 0) return null;
  if (stored && stored.size > 0) {
    for (const experiment of eligible) {
      const key = stored.get(experiment.id);
      const variant = key === undefined ? undefined : experiment.variants.find((v) => v.key === key);
      if (variant) return { experiment, variant, source: "stored" };
    }
  }
  const traffic = trafficBucketOf(unitId);
  for (const experiment of eligible) {
    if (!inTraffic(traffic, experiment.traffic_share, experiment.traffic_offset)) continue;
    return { experiment, variant: variantFor(bucketOf(unitId, experiment.salt), experiment.variants), source: "bucket" };
  }
  return null;
}

/** The `X-Experiment` header value: `<experiment id>:<variant key>` (neither may hold ':'). */
export function experimentHeader(choice: Pick<ExperimentChoice, "experiment" | "variant">): string {
  return `${choice.experiment.id}:${choice.variant.key}`;
}
