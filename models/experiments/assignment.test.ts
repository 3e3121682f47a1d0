import { afterEach, describe, expect, it, vi } from "vitest";
import {
  TRAFFIC_SALT,
  bucketOf,
  chooseExperiment,
  experimentHeader,
  inTraffic,
  matchesTargeting,
  murmurHash3x86_32,
  trafficBucketOf,
  variantFor,
  type TargetingRequest,
} from "./assignment.js";
import { ExperimentSchema, type Experiment, type ExperimentInput } from "./experiment.js";

const USERS = 100_000;
const ids = Array.from({ length: USERS }, (_, i) => `user-${i}`);
const ANY: TargetingRequest = { context: "home", country: "DE", device: "mobile", returning: true };

function experiment(over: Partial<ExperimentInput> = {}): Experiment {
  return ExperimentSchema.parse({
    id: "exp-1",
    name: "test",
    salt: "salt-1",
    status: "running",
    traffic_share: 1,
    variants: [
      { key: "control", weight: 50 },
      { key: "treatment", weight: 50 },
    ],
    primary_metric: "ctr",
    control: "control",
    ...over,
  });
}

function weights(...ws: number[]) {
  return ws.map((weight, i) => ({ key: i === 0 ? "control" : `v${i}`, weight }));
}

/** Percentage of `n` in `total`, and its gap to `target` in percentage points. */
function pp(n: number, total: number, target: number): { share: number; off: number } {
  const share = (100 * n) / total;
  return { share: Math.round(share * 1000) / 1000, off: Math.round(Math.abs(share - target) * 1000) / 1000 };
}

afterEach(() => vi.restoreAllMocks());

describe("murmurHash3x86_32", () => {
  // Computed with the reference C++ (aappleby/smhasher src/MurmurHash3.cpp, MurmurHash3_x86_32);
  // the seeded ones are also the widely published vectors for that function.
  const vectors: Array<[string, number, number]> = [
    ["", 0, 0x00000000],
    ["", 1, 0x514e28b7],
    ["", 0xffffffff, 0x81f16f39],
    ["a", 0, 0x3c2569b2],
    ["ab", 0, 0x9bbfd75f],
    ["abc", 0, 0xb3dd93fa],
    ["abcd", 0, 0x43ed676a],
    ["hello", 0, 0x248bfa47],
    ["aaaa", 0x9747b28c, 0x5a97808a],
    ["Hello, world!", 0x9747b28c, 0x24884cba],
    ["The quick brown fox jumps over the lazy dog", 0, 0x2e4ff723],
    ["The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd],
    ["user-1", 0, 0xf8a28763],
    ["user-42", 0, 0xb972dad0],
    ["abcdefgh", 0, 0x49ddccc4],
    ["héllo wörld ✓", 0, 0x0e375ad8], // multi-byte UTF-8
    ["ÿÿÿÿÿÿÿ", 0, 0xf8983d7c], // every byte ≥ 0x80: no sign trouble in the block reads
  ];
  it.each(vectors)("%j seed %i", (text, seed, expected) => {
    expect(murmurHash3x86_32(text, seed)).toBe(expected);
  });

  it("hashes bytes and text alike", () => {
    expect(murmurHash3x86_32(new Uint8Array([0, 0, 0, 0]))).toBe(0x2362f9de);
    expect(murmurHash3x86_32(new TextEncoder().encode("hello"))).toBe(0x248bfa47);
  });
});

describe("bucketOf", () => {
  // Reference C++ hash of "<salt>:<unit>" mod 10,000. The workerd test pins the same numbers.
  it("matches the reference implementation", () => {
    expect(bucketOf("user-1", "hp-ranker-2026")).toBe(7794);
    expect(bucketOf("user-2", "hp-ranker-2026")).toBe(9515);
    expect(bucketOf("anon-7f3a", "hp-ranker-2026")).toBe(2009);
    expect(trafficBucketOf("user-1")).toBe(2373);
    expect(trafficBucketOf("user-2")).toBe(8604);
    expect(trafficBucketOf("anon-7f3a")).toBe(84);
    expect(bucketOf("user-1", TRAFFIC_SALT)).toBe(trafficBucketOf("user-1"));
  });

  it("spreads 100,000 ids evenly over the 10,000 buckets (chi-square over 100 ranges)", () => {
    const counts = new Array<number>(100).fill(0);
    for (const id of ids) {
      const b = bucketOf(id, "salt-1");
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(10_000);
      counts[Math.floor(b / 100)]!++;
    }
    const expected = USERS / 100;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 99 degrees of freedom: the 99.9th percentile is 148.2.
    expect(chi2).toBeLessThan(148.2);
  });
});

describe("variantFor", () => {
  it("splits the 10,000 buckets by cumulative weight", () => {
    const vs = weights(10, 0, 90);
    expect(variantFor(0, vs).key).toBe("control");
    expect(variantFor(999, vs).key).toBe("control");
    expect(variantFor(1000, vs).key).toBe("v2");
    expect(variantFor(9999, vs).key).toBe("v2");
    expect(() => variantFor(10_000, vs)).toThrow(RangeError);
    expect(() => variantFor(-1, vs)).toThrow(RangeError);
    expect(() => variantFor(5, weights(0, 0))).toThrow(RangeError);
  });

  const splits: Array<[string, number[]]> = [
    ["50/50", [50, 50]],
    ["10/90", [10, 90]],
    ["33/33/34", [33, 33, 34]],
  ];
  it.each(splits)("%s over 100,000 users lands within ±1 pp of the weights", (label, ws) => {
    const e = experiment({ variants: weights(...ws), control: "control" });
    const counts = new Map<string, number>();
    for (const id of ids) {
      const choice = chooseExperiment([e], ANY, id);
      expect(choice).not.toBeNull();
      counts.set(choice!.variant.key, (counts.get(choice!.variant.key) ?? 0) + 1);
    }
    const report = e.variants.map((v) => ({ key: v.key, weight: v.weight, ...pp(counts.get(v.key) ?? 0, USERS, v.weight) }));
    console.info(`split ${label}: ${JSON.stringify(report)}`);
    for (const r of report) expect(r.off).toBeLessThanOrEqual(1);
  });
});

describe("traffic", () => {
  it("inTraffic takes the slice [offset, offset + share)", () => {
    expect(inTraffic(0, 0.1)).toBe(true);
    expect(inTraffic(999, 0.1)).toBe(true);
    expect(inTraffic(1000, 0.1)).toBe(false);
    expect(inTraffic(699, 0.07)).toBe(true); // 0.07 × 10,000 is 700.0000000000001 in floating point
    expect(inTraffic(700, 0.07)).toBe(false);
    expect(inTraffic(2999, 0.2, 0.1)).toBe(true);
    expect(inTraffic(999, 0.2, 0.1)).toBe(false);
    expect(inTraffic(0, 0)).toBe(false);
  });

  it.each([0.1, 0.2537, 0.5])("traffic share %f is honoured within ±1 pp, and the split inside it too", (share) => {
    const e = experiment({ traffic_share: share, variants: weights(50, 50) });
    let inside = 0;
    let control = 0;
    for (const id of ids) {
      const choice = chooseExperiment([e], ANY, id);
      if (!choice) continue;
      inside++;
      if (choice.variant.key === "control") control++;
    }
    const traffic = pp(inside, USERS, share * 100);
    const split = pp(control, inside, 50);
    console.info(`traffic ${share}: in ${traffic.share}% (±${traffic.off} pp); control within it ${split.share}% (±${split.off} pp) of ${inside}`);
    expect(traffic.off).toBeLessThanOrEqual(1);
    // The variant split inside a slice shows traffic and variant buckets are not correlated
    // (with one bucket for both, a 10 % slice would be all control).
    expect(split.off).toBeLessThanOrEqual(share < 0.2 ? 2 : 1);
  });

  it("experiments on disjoint slices of the same requests never share a user", () => {
    const a = experiment({ id: "a", salt: "sa", traffic_share: 0.3 });
    const b = experiment({ id: "b", salt: "sb", traffic_share: 0.4, traffic_offset: 0.3 });
    const count = { a: 0, b: 0, none: 0 };
    for (const id of ids) {
      const choice = chooseExperiment([b, a], ANY, id);
      const slot = choice ? (choice.experiment.id as "a" | "b") : "none";
      count[slot]++;
      // the slice decides, not the list order
      const tb = trafficBucketOf(id);
      expect(slot).toBe(tb < 3000 ? "a" : tb < 7000 ? "b" : "none");
    }
    expect(pp(count.a, USERS, 30).off).toBeLessThanOrEqual(1);
    expect(pp(count.b, USERS, 40).off).toBeLessThanOrEqual(1);
  });
});

describe("targeting", () => {
  it("matches listed values and treats unknowns as no match", () => {
    const t = { contexts: ["home", "pdp"], countries: ["DE", "FR"], devices: ["mobile" as const], audience: "returning" as const };
    expect(matchesTargeting(t, ANY)).toBe(true);
    expect(matchesTargeting(t, { ...ANY, context: "HOME", country: "de", device: "Mobile" })).toBe(true);
    expect(matchesTargeting(t, { ...ANY, context: "cart" })).toBe(false);
    expect(matchesTargeting(t, { ...ANY, context: null })).toBe(false);
    expect(matchesTargeting(t, { ...ANY, country: "US" })).toBe(false);
    expect(matchesTargeting(t, { ...ANY, device: "desktop" })).toBe(false);
    expect(matchesTargeting(t, { ...ANY, returning: false })).toBe(false);
    expect(matchesTargeting(t, { ...ANY, returning: null })).toBe(false);
    expect(matchesTargeting({ audience: "new" }, { ...ANY, returning: false })).toBe(true);
    expect(matchesTargeting({}, { context: null, country: null, device: null, returning: null })).toBe(true);
  });

  it("ignores experiments that are not running or do not match", () => {
    expect(chooseExperiment([experiment({ status: "draft" })], ANY, "user-1")).toBeNull();
    expect(chooseExperiment([experiment({ status: "stopped" })], ANY, "user-1")).toBeNull();
    expect(chooseExperiment([experiment({ targeting: { contexts: ["email"] } })], ANY, "user-1")).toBeNull();
    expect(chooseExperiment([], ANY, "user-1")).toBeNull();
  });
});

describe("determinism and stickiness", () => {
  it("gives the same answer on repeated calls and never uses Math.random", () => {
    const random = vi.spyOn(Math, "random").mockImplementation(() => {
      throw new Error("assignment must not be random");
    });
    const e = experiment({ traffic_share: 0.6, variants: weights(33, 33, 34) });
    const first = ids.slice(0, 5000).map((id) => chooseExperiment([e], ANY, id)?.variant.key ?? null);
    for (let round = 0; round < 3; round++) {
      const again = ids.slice(0, 5000).map((id) => chooseExperiment([structuredClone(e)], ANY, id)?.variant.key ?? null);
      expect(again).toEqual(first);
    }
    expect(random).not.toHaveBeenCalled();
  });

  it("keeps already assigned users through a weight change; new users follow the new weights", () => {
    const before = experiment({ variants: weights(50, 50) });
    const after = experiment({ variants: weights(90, 10) });
    // What the session objects hold after everyone's first exposure.
    const stored = new Map<string, Map<string, string>>();
    for (const id of ids) {
      const c = chooseExperiment([before], ANY, id)!;
      stored.set(id, new Map([[c.experiment.id, c.variant.key]]));
    }
    let kept = 0;
    let wouldMove = 0;
    for (const id of ids) {
      const original = stored.get(id)!.get("exp-1");
      const sticky = chooseExperiment([after], ANY, id, stored.get(id))!;
      expect(sticky.source).toBe("stored");
      if (sticky.variant.key === original) kept++;
      if (chooseExperiment([after], ANY, id)!.variant.key !== original) wouldMove++;
    }
    expect(kept).toBe(USERS);
    // Without the stored assignment 40 % would switch (the 50→90 boundary moves 4,000 buckets).
    console.info(`weight change 50/50 → 90/10: ${kept} of ${USERS} kept; ${pp(wouldMove, USERS, 40).share}% would move without stickiness`);
    expect(pp(wouldMove, USERS, 40).off).toBeLessThanOrEqual(1);

    let control = 0;
    for (let i = 0; i < USERS; i++) if (chooseExperiment([after], ANY, `new-${i}`, new Map())!.variant.key === "control") control++;
    console.info(`new users after the change: control ${pp(control, USERS, 90).share}% (weight 90)`);
    expect(pp(control, USERS, 90).off).toBeLessThanOrEqual(1);
  });

  it("ignores a stored variant the experiment no longer has, and stored assignments of other experiments", () => {
    const e = experiment({ variants: weights(50, 50) });
    const fresh = chooseExperiment([e], ANY, "user-1")!;
    expect(chooseExperiment([e], ANY, "user-1", new Map([["exp-1", "gone"]]))).toEqual(fresh);
    expect(chooseExperiment([e], ANY, "user-1", new Map([["other", "v1"]]))).toEqual(fresh);
    expect(fresh.source).toBe("bucket");
  });

  it("honours a stored assignment outside the current traffic slice (carried over from an anonymous session)", () => {
    const e = experiment({ traffic_share: 0.01 });
    const outside = ids.find((id) => chooseExperiment([e], ANY, id) === null)!;
    const choice = chooseExperiment([e], ANY, outside, new Map([["exp-1", "treatment"]]));
    expect(choice?.variant.key).toBe("treatment");
    expect(choice?.source).toBe("stored");
    expect(experimentHeader(choice!)).toBe("exp-1:treatment");
  });
});
