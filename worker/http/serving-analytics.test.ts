import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { servingDataPoint, writeServing, type ServingPoint } from "./serving-analytics.js";

const point: ServingPoint = {
  endpoint: "recs",
  modelVersion: "20260601-a",
  context: "home",
  experiment: { id: "ranker-v2-abc123", variant: "B" },
  degraded: ["features", "catalog", "features"],
  personalised: true,
  latencyMs: 7,
  items: 10,
  lists: 1,
  degradedLists: 1,
};

/** Analytics Engine has no local server (Miniflare's binding drops every point), so this records what the binding is given. */
function recordingDataset(fail = false): AnalyticsEngineDataset & { points: AnalyticsEngineDataPoint[] } {
  const points: AnalyticsEngineDataPoint[] = [];
  return {
    points,
    writeDataPoint(p?: AnalyticsEngineDataPoint) {
      if (fail) throw new Error("dataset unavailable");
      if (p) points.push(p);
    },
  };
}

describe("serving data points", () => {
  it("puts the model version in the index and every figure at its documented position", () => {
    expect(servingDataPoint(point)).toEqual({
      indexes: ["20260601-a"],
      blobs: ["recs", "home", "ranker-v2-abc123", "B", "catalog,features", "1"],
      doubles: [7, 10, 1, 1],
    });
    expect(servingDataPoint({ ...point, context: null, experiment: null, degraded: [], personalised: false }).blobs).toEqual(["recs", "", "", "", "", "0"]);
  });

  it("keeps the index within Analytics Engine's 96 bytes", () => {
    expect((servingDataPoint({ ...point, modelVersion: "v".repeat(128) }).indexes![0] as string).length).toBe(96);
  });

  it("is bound in workerd from wrangler.toml", () => {
    expect(typeof env.SERVING_ANALYTICS?.writeDataPoint).toBe("function");
    expect(() => writeServing(env.SERVING_ANALYTICS, point)).not.toThrow();
  });

  it("writes to the binding, and a missing or failing binding never fails the caller", () => {
    const dataset = recordingDataset();
    writeServing(dataset, point);
    expect(dataset.points).toHaveLength(1);
    expect(() => writeServing(undefined, point)).not.toThrow();
    expect(() => writeServing(recordingDataset(true), point)).not.toThrow();
  });
});
