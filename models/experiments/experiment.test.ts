import { describe, expect, it } from "vitest";
import {
  EXPERIMENTS_KV_KEY,
  ExperimentSchema,
  ExperimentSetSchema,
  allocateTrafficOffset,
  overlaps,
  targetingIntersects,
  validateExperiment,
  type Experiment,
  type ExperimentInput,
  type KnownState,
} from "./experiment.js";

function input(over: Partial<ExperimentInput> = {}): ExperimentInput {
  return {
    id: "hp-ranker",
    name: "Ranker v2 on the home page",
    hypothesis: "The new ranker lifts home-page CTR",
    salt: "hp-ranker-2026",
    status: "running",
    traffic_share: 0.5,
    targeting: { contexts: ["home"] },
    variants: [
      { key: "control", weight: 50 },
      { key: "ranker-v2", weight: 50, changes: { model_version: "v2", limit: 20 } },
    ],
    primary_metric: "ctr",
    guardrails: [
      { metric: "latency_p95_ms", threshold: 120 },
      { metric: "error_rate", threshold: 0.01 },
    ],
    control: "control",
    ...over,
  };
}

const parse = (over: Partial<ExperimentInput> = {}): Experiment => ExperimentSchema.parse(input(over));
const known = (running: Experiment[] = []): KnownState => ({ modelVersions: new Set(["v1", "v2"]), running });
const fields = (over: Partial<ExperimentInput>, k: KnownState = known()) => validateExperiment(input(over), k).map((p) => p.field);

describe("ExperimentSchema", () => {
  it("accepts a full config and fills defaults", () => {
    const e = ExperimentSchema.parse({
      id: "e1",
      name: "n",
      salt: "s",
      status: "draft",
      traffic_share: 0.1,
      variants: [
        { key: "a", weight: 10 },
        { key: "b", weight: 90, changes: { score_weights: { co_view: 2 }, candidate_sources: ["cf", "popular"], max_category_share: 0.4 } },
      ],
      primary_metric: "conversion_rate",
      control: "a",
    });
    expect(e.traffic_offset).toBe(0);
    expect(e.targeting).toEqual({});
    expect(e.guardrails).toEqual([]);
    expect(e.variants[0]!.changes).toEqual({});
    expect(validateExperiment(input(), known())).toEqual([]);
  });

  it("names the field of each shape problem", () => {
    expect(fields({ traffic_share: 1.5 })).toEqual(["traffic_share"]);
    expect(fields({ status: "paused" as "draft" })).toEqual(["status"]);
    expect(fields({ targeting: { contexts: [] } })).toEqual(["targeting.contexts"]);
    expect(fields({ targeting: { countries: ["de"] } })).toEqual(["targeting.countries.0"]);
    expect(fields({ targeting: { devices: ["phone" as "mobile"] } })).toEqual(["targeting.devices.0"]);
    expect(
      fields({
        variants: [
          { key: "control", weight: 50.5 },
          { key: "b", weight: 49.5 },
        ],
      }),
    ).toEqual(["variants.0.weight", "variants.1.weight"]);
    expect(
      fields({
        variants: [
          { key: "control", weight: 50 },
          { key: "b:c", weight: 50 },
        ],
      }),
    ).toEqual(["variants.1.key"]);
    expect(
      fields({
        variants: [
          { key: "control", weight: 50 },
          { key: "b", weight: 50, changes: { limit: 500 } },
        ],
      }),
    ).toEqual(["variants.1.changes.limit"]);
    expect(
      fields({
        variants: [
          { key: "control", weight: 50 },
          { key: "b", weight: 50, changes: { candidate_sources: ["vector" as "cf"] } },
        ],
      }),
    ).toEqual(["variants.1.changes.candidate_sources.0"]);
    expect(fields({ salt: "#traffic" })).toEqual(["salt"]);
    expect(fields({ unknown: 1 } as Partial<ExperimentInput>)).toEqual(["unknown"]);
  });

  it("reports, never throws, on any input", () => {
    for (const c of [null, 7, "x", [], {}, { variants: "x" }, { variants: [null] }, { ...input(), variants: [{ key: 1 }], control: 3, guardrails: [null] }]) {
      const problems = validateExperiment(c, known());
      expect(problems.length).toBeGreaterThan(0);
    }
    expect(fields({ variants: "x" as unknown as [] })).toEqual(["variants"]);
  });

  it("refuses weights not summing to 100, fewer than two variants, repeated keys, a control that is no variant", () => {
    const problems = (over: Partial<ExperimentInput>) => validateExperiment(input(over), known());
    expect(
      problems({
        variants: [
          { key: "control", weight: 50 },
          { key: "b", weight: 40 },
        ],
      }),
    ).toEqual([{ field: "variants", message: "weights must sum to 100, not 90" }]);
    expect(fields({ variants: [{ key: "control", weight: 100 }] })).toEqual(["variants"]);
    expect(
      fields({
        variants: [
          { key: "control", weight: 50 },
          { key: "control", weight: 50 },
        ],
      }),
    ).toEqual(["variants.1.key"]);
    expect(problems({ control: "baseline" })).toEqual([{ field: "control", message: 'must be one of the variant keys (control, ranker-v2), not "baseline"' }]);
    expect(fields({ traffic_share: 0.6, traffic_offset: 0.5 })).toEqual(["traffic_offset"]);
    expect(fields({ guardrails: [{ metric: "error_rate", threshold: 5 }] })).toEqual(["guardrails.0.threshold"]);
    expect(
      fields({
        guardrails: [
          { metric: "error_rate", threshold: 0.1 },
          { metric: "error_rate", threshold: 0.2 },
        ],
      }),
    ).toEqual(["guardrails.1.metric"]);
  });

  it("refuses unknown model versions, naming the variant", () => {
    const problems = validateExperiment(
      input({
        variants: [
          { key: "control", weight: 50 },
          { key: "b", weight: 50, changes: { model_version: "v9" } },
        ],
      }),
      known(),
    );
    expect(problems).toEqual([{ field: "variants.1.changes.model_version", message: 'unknown model version "v9"' }]);
  });
});

describe("overlap", () => {
  const running = parse({ id: "other", salt: "other-salt", traffic_share: 0.5, targeting: { contexts: ["home", "pdp"], devices: ["mobile"] } });

  it("is intersecting targeting and intersecting traffic slices", () => {
    expect(targetingIntersects({}, { contexts: ["home"] })).toBe(true);
    expect(targetingIntersects({ contexts: ["home"] }, { contexts: ["pdp"] })).toBe(false);
    expect(targetingIntersects({ contexts: ["home"], countries: ["DE"] }, { countries: ["FR"] })).toBe(false);
    expect(targetingIntersects({ audience: "new" }, { audience: "returning" })).toBe(false);
    expect(targetingIntersects({ audience: "new" }, { audience: "all" })).toBe(true);
    expect(targetingIntersects({ audience: "new" }, {})).toBe(true);
    expect(targetingIntersects({ devices: ["desktop"] }, { devices: ["mobile", "desktop"] })).toBe(true);

    expect(overlaps(parse({ traffic_share: 0.5 }), running)).toBe(true); // both at offset 0
    expect(overlaps(parse({ traffic_share: 0.5, traffic_offset: 0.5 }), running)).toBe(false); // adjacent slices
    expect(overlaps(parse({ traffic_share: 0 }), running)).toBe(false);
    expect(overlaps(parse({ targeting: { contexts: ["cart"] } }), running)).toBe(false);
    expect(overlaps(parse({ targeting: { devices: ["desktop"] } }), running)).toBe(false);
  });

  it("refuses a running experiment whose shares sum above 1 on common requests", () => {
    const problems = validateExperiment(input({ traffic_share: 0.6, traffic_offset: 0.4 }), known([running]));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe("traffic_share");
    expect(problems[0]!.message).toContain('overlaps running experiment "other"');
    expect(problems[0]!.message).toContain("sum to 1.1");
  });

  it("refuses slices on top of each other and names a free offset", () => {
    const problems = validateExperiment(input({ traffic_share: 0.3 }), known([running]));
    expect(problems).toEqual([
      {
        field: "traffic_offset",
        message:
          'overlaps running experiment "other": their targeting can match the same request and their traffic slices [0, 0.3) and [0, 0.5) intersect; traffic_offset 0.5 is free',
      },
    ]);
    expect(validateExperiment(input({ traffic_share: 0.3, traffic_offset: 0.5 }), known([running]))).toEqual([]);
  });

  it("allows overlap for drafts, with stopped experiments, with itself, and on disjoint targeting", () => {
    expect(validateExperiment(input({ status: "draft" }), known([running]))).toEqual([]);
    expect(validateExperiment(input(), known([{ ...running, status: "stopped" }]))).toEqual([]);
    expect(validateExperiment(input(), known([parse({ traffic_share: 1 })]))).toEqual([]); // same id: its older self
    expect(validateExperiment(input({ traffic_share: 1, targeting: { contexts: ["email"] } }), known([running]))).toEqual([]);
  });

  it("refuses a salt already used by a running experiment", () => {
    expect(fields({ salt: "other-salt", targeting: { contexts: ["email"] } }, known([running]))).toEqual(["salt"]);
  });

  it("allocateTrafficOffset finds the lowest free slice among co-matching experiments", () => {
    const a = parse({ id: "a", salt: "a", traffic_share: 0.2 });
    const b = parse({ id: "b", salt: "b", traffic_share: 0.3, traffic_offset: 0.5 });
    const elsewhere = parse({ id: "c", salt: "c", traffic_share: 1, targeting: { contexts: ["email"] } });
    expect(allocateTrafficOffset({ targeting: { contexts: ["home"] }, traffic_share: 0.3 }, [a, b, elsewhere])).toBe(0.2);
    expect(allocateTrafficOffset({ targeting: { contexts: ["home"] }, traffic_share: 0.2 }, [b, a])).toBe(0.2);
    expect(allocateTrafficOffset({ targeting: {}, traffic_share: 0.1 }, [a, b, elsewhere])).toBeNull(); // "c" takes every request of its own
    expect(allocateTrafficOffset({ targeting: { contexts: ["home"] }, traffic_share: 0.35 }, [a, b])).toBeNull(); // gaps are 0.3 and 0.2
    expect(allocateTrafficOffset({ targeting: { contexts: ["home"] }, traffic_share: 0.2 }, [a, b])).toBe(0.2);
    expect(allocateTrafficOffset({ targeting: {}, traffic_share: 1 }, [])).toBe(0);
  });
});

describe("ExperimentSetSchema", () => {
  it("parses the published document and refuses repeated ids", () => {
    expect(EXPERIMENTS_KV_KEY).toBe("experiments:active");
    const set = ExperimentSetSchema.parse({ experiments: [input()], published_at: "2026-05-01T10:00:00Z" });
    expect(set.experiments[0]!.id).toBe("hp-ranker");
    const dup = ExperimentSetSchema.safeParse({ experiments: [input(), input()], published_at: "2026-05-01T10:00:00Z" });
    expect(dup.success).toBe(false);
    expect(dup.error?.issues.map((i) => i.path.join("."))).toEqual(["experiments.1.id"]);
    expect(ExperimentSetSchema.safeParse({ experiments: [], published_at: "yesterday" }).success).toBe(false);
    // An invalid experiment fails the document: the edge never buckets with a broken config.
    expect(ExperimentSetSchema.safeParse({ experiments: [input({ control: "nope" })], published_at: "2026-05-01T10:00:00Z" }).success).toBe(false);
  });
});
