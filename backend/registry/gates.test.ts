import { describe, expect, it } from "vitest";
import type { MetricsRowLike } from "../training-jobs/types.js";
import { decideGate, DEFAULT_GATE_CONFIG } from "./gates.js";

function rows(model: string, ndcg10: number, recall20: number, group: "warm" | "cold" = "warm"): MetricsRowLike[] {
  const base = { model, group, users: 50, precision: 0, map: 0, hitRate: 0, coverage: 0 };
  return [
    { ...base, k: 10, ndcg: ndcg10, recall: 0 },
    { ...base, k: 20, ndcg: 0, recall: recall20 },
  ];
}

const popularity = rows("popularity", 0.1, 0.08);
const champion = { version: "v1", metrics: rows("ials", 0.3, 0.25) };

function gate(ndcg10: number, recall20: number, baseline = popularity, maxRegression = 0.02) {
  return decideGate({ candidate: { metrics: rows("ials", ndcg10, recall20), baselineMetrics: baseline }, champion }, { ...DEFAULT_GATE_CONFIG, maxRegression });
}

describe("decideGate", () => {
  it("passes the first model whatever its numbers", () => {
    const decision = decideGate({ candidate: { metrics: rows("ials", 0.01, 0.01), baselineMetrics: popularity }, champion: null });
    expect(decision).toEqual({ passed: true, reasons: ["first model: there is no champion to compare against"] });
  });

  it("passes a candidate at least as good as the champion, listing the evidence", () => {
    const decision = gate(0.31, 0.25);
    expect(decision.passed).toBe(true);
    expect(decision.reasons).toEqual([
      "NDCG@10 (warm users) 0.3100 is within 2% of the champion v1 (0.3000) or better",
      "NDCG@10 (warm users) 0.3100 beats popularity 0.1000",
      "Recall@20 (warm users) 0.2500 is within 2% of the champion v1 (0.2500) or better",
      "Recall@20 (warm users) 0.2500 beats popularity 0.0800",
    ]);
  });

  it("tolerates a regression of exactly maxRegression (0.3 × 0.98 = 0.294) but not a hair more", () => {
    expect(gate(0.294, 0.245).passed).toBe(true);
    const worse = gate(0.2939, 0.25);
    expect(worse).toEqual({
      passed: false,
      reasons: ["NDCG@10 (warm users) 0.2939 is more than 2% below the champion v1 (0.3000); at least 0.2940 is needed"],
    });
  });

  it("lists every failing metric and only those", () => {
    const decision = gate(0.2, 0.2);
    expect(decision.passed).toBe(false);
    expect(decision.reasons).toHaveLength(2);
    expect(decision.reasons[0]).toMatch(/^NDCG@10 \(warm users\) 0\.2000 is more than 2% below the champion v1/);
    expect(decision.reasons[1]).toMatch(/^Recall@20 \(warm users\) 0\.2000 is more than 2% below the champion v1/);
  });

  it("rejects a candidate that matches the champion but does not beat popularity on the same split", () => {
    const strongBaseline = rows("popularity", 0.32, 0.1);
    const decision = gate(0.3, 0.25, strongBaseline);
    expect(decision).toEqual({ passed: false, reasons: ["NDCG@10 (warm users) 0.3000 does not beat popularity 0.3200"] });
  });

  it("requires strictly beating the baseline: a tie fails", () => {
    expect(gate(0.3, 0.25, rows("popularity", 0.3, 0.1)).passed).toBe(false);
  });

  it("honours a configured maxRegression", () => {
    expect(gate(0.28, 0.25, popularity, 0.1).passed).toBe(true); // floor 0.27
    expect(gate(0.3, 0.25, popularity, 0).passed).toBe(true);
    expect(gate(0.2999, 0.25, popularity, 0).passed).toBe(false);
  });

  it("fails when a gated metric or the baseline is missing, or is not a number", () => {
    const noK20 = rows("ials", 0.31, 0.3).filter((r) => r.k === 10);
    const missing = decideGate({ candidate: { metrics: noK20, baselineMetrics: popularity }, champion });
    expect(missing).toEqual({ passed: false, reasons: ["Recall@20 (warm users) is missing from the candidate's evaluation report"] });

    const noBaseline = decideGate({ candidate: { metrics: rows("ials", 0.31, 0.3), baselineMetrics: rows("item-knn", 0.1, 0.1) }, champion });
    expect(noBaseline.passed).toBe(false);
    expect(noBaseline.reasons).toContain("NDCG@10 (warm users): the report has no popularity baseline to beat");

    const nan = decideGate({ candidate: { metrics: rows("ials", Number.NaN, 0.3), baselineMetrics: popularity }, champion });
    expect(nan.reasons).toEqual(["NDCG@10 (warm users) is missing from the candidate's evaluation report"]);
  });

  it("ignores cold-user rows", () => {
    const metrics = [...rows("ials", 0.9, 0.9, "cold"), ...rows("ials", 0.2, 0.2)];
    expect(decideGate({ candidate: { metrics, baselineMetrics: popularity }, champion }).passed).toBe(false);
  });

  it("compares only with the baseline when the champion's report lacks the metric", () => {
    const oldChampion = { version: "v0", metrics: rows("ials", 0.3, 0.25).filter((r) => r.k === 10) };
    const decision = decideGate({ candidate: { metrics: rows("ials", 0.31, 0.1), baselineMetrics: popularity }, champion: oldChampion });
    expect(decision.passed).toBe(true);
    expect(decision.reasons).toContain("Recall@20 (warm users): the champion v0 has no value to compare with");
  });
});
