/** The decision rules on hand-made readouts; the statistics themselves are tested in models/experiments/stats. */
import { describe, expect, it } from "vitest";
import { checkGuardrails, type VariantGuardrailMetrics } from "../../models/experiments/stats/guardrails.js";
import type { Guardrail } from "../../models/experiments/experiment.js";
import { experimentVerdict, type VariantTally } from "../../models/experiments/stats/verdict.js";
import { canaryDecision } from "./canary-decision.js";

type Health = Omit<VariantGuardrailMetrics, "variant">;
const healthy: Health = { lists: 1000, latencyMeasured: 1000, latencyP95Ms: 40, errorRate: 0.002 };

function readout(
  control: Omit<VariantTally, "variant" | "weight">,
  canary: Omit<VariantTally, "variant" | "weight">,
  weights = [50, 50],
  health: { control?: Health; canary?: Health; configured?: Guardrail[] } = {},
) {
  const variants = [
    { variant: "control", weight: weights[0]!, ...control },
    { variant: "canary", weight: weights[1]!, ...canary },
  ];
  const guardrails = checkGuardrails(health.configured ?? [], [
    { variant: "control", ...(health.control ?? healthy) },
    { variant: "canary", ...(health.canary ?? healthy) },
  ]);
  return { variants, verdict: experimentVerdict({ variants, control: "control", primaryMetric: "ctr" }), guardrails };
}

const arm = (users: number, impressions: number, clicks: number) => ({ users, impressions, clicks, conversions: 0 });

describe("canaryDecision", () => {
  it("rolls back on a significant loss even below the promotion minimum", () => {
    const d = canaryDecision(readout(arm(500, 1500, 300), arm(500, 1500, 150)), 2000);
    expect(d.action).toBe("roll_back");
    expect(d.reason).toMatch(/^control beats canary on CTR/);
  });

  it("waits below the minimum when nothing is significant", () => {
    expect(canaryDecision(readout(arm(500, 1500, 150), arm(500, 1500, 150)), 2000)).toEqual({
      action: "wait",
      reason: "not enough data yet: 2000 impressions per variant needed to promote (control has 1500, canary has 1500)",
    });
  });

  it("promotes a canary that is not worse after the minimum, saying the guardrails held", () => {
    const d = canaryDecision(readout(arm(1000, 3000, 300), arm(1000, 3000, 300)), 2000);
    expect(d.action).toBe("promote");
    expect(d.reason).toMatch(
      /^canary is not worse than control after at least 2000 impressions per variant \(canary vs control on CTR \+0\.0% .*\); guardrails hold \(latency p95 40 ms vs 40 ms, error rate 0\.20% vs 0\.20%\)$/,
    );
  });

  it("rolls back a canary that is slower than the control allows, even when it wins on CTR", () => {
    // Limit: max(1.25 × 40, 40 + 25) = 65 ms.
    const slow = readout(arm(1000, 3000, 300), arm(1000, 3000, 420), [50, 50], { canary: { ...healthy, latencyP95Ms: 66 } });
    expect(canaryDecision(slow, 2000)).toEqual({
      action: "roll_back",
      reason: "canary breaks a guardrail: latency p95 66 ms against control's 40 ms (limit 65 ms)",
    });
    const justUnder = readout(arm(1000, 3000, 300), arm(1000, 3000, 300), [50, 50], { canary: { ...healthy, latencyP95Ms: 65 } });
    expect(canaryDecision(justUnder, 2000).action).toBe("promote");
  });

  it("rolls back on an error rate more than a point above the control's", () => {
    const d = canaryDecision(readout(arm(1000, 3000, 300), arm(1000, 3000, 300), [50, 50], { canary: { ...healthy, errorRate: 0.013 } }), 2000);
    expect(d).toEqual({ action: "roll_back", reason: "canary breaks a guardrail: error rate 1.30% against control's 0.20% (limit 1.20%)" });
  });

  it("applies the experiment's own thresholds too", () => {
    const configured: Guardrail[] = [{ metric: "latency_p95_ms", threshold: 30 }];
    const d = canaryDecision(readout(arm(1000, 3000, 300), arm(1000, 3000, 300), [50, 50], { configured }), 2000);
    expect(d).toEqual({ action: "roll_back", reason: "canary breaks a guardrail: latency_p95_ms 40 ms above the experiment's threshold 30 ms" });
  });

  it("does not judge guardrails on a thin sample, and says when latency was not reported", () => {
    const thin = { ...healthy, lists: 50, latencyMeasured: 50, latencyP95Ms: 900 };
    const d = canaryDecision(readout(arm(1000, 3000, 300), arm(1000, 3000, 300), [50, 50], { canary: thin }), 2000);
    expect(d.action).toBe("promote");
    expect(d.reason).toMatch(/; guardrails not checked: 100 lists per arm needed$/);
    const unmeasured = { ...healthy, latencyMeasured: 0, latencyP95Ms: null };
    const u = canaryDecision(readout(arm(1000, 3000, 300), arm(1000, 3000, 300), [50, 50], { control: unmeasured, canary: unmeasured }), 2000);
    expect(u.reason).toMatch(/; error rate holds \(0\.20% vs 0\.20%\); latency not measured/);
  });

  it("waits on a sample ratio mismatch, whatever the rates say", () => {
    const d = canaryDecision(readout(arm(1000, 3000, 300), arm(400, 3000, 100)), 2000);
    expect(d).toMatchObject({ action: "wait", reason: expect.stringMatching(/^sample ratio mismatch/) });
  });
});
