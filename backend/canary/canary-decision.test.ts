/** The decision rules on hand-made readouts; the statistics themselves are tested in models/experiments/stats. */
import { describe, expect, it } from "vitest";
import { experimentVerdict, type VariantTally } from "../../models/experiments/stats/verdict.js";
import { canaryDecision } from "./canary-decision.js";

function readout(control: Omit<VariantTally, "variant" | "weight">, canary: Omit<VariantTally, "variant" | "weight">, weights = [50, 50]) {
  const variants = [
    { variant: "control", weight: weights[0]!, ...control },
    { variant: "canary", weight: weights[1]!, ...canary },
  ];
  return { variants, verdict: experimentVerdict({ variants, control: "control", primaryMetric: "ctr" }) };
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

  it("promotes a canary that is not worse after the minimum, saying the guardrails were not checked", () => {
    const d = canaryDecision(readout(arm(1000, 3000, 300), arm(1000, 3000, 300)), 2000);
    expect(d.action).toBe("promote");
    expect(d.reason).toMatch(/^canary is not worse than control after at least 2000 impressions per variant \(canary vs control on CTR \+0\.0% .*\); guardrails not checked/);
  });

  it("waits on a sample ratio mismatch, whatever the rates say", () => {
    const d = canaryDecision(readout(arm(1000, 3000, 300), arm(400, 3000, 100)), 2000);
    expect(d).toMatchObject({ action: "wait", reason: expect.stringMatching(/^sample ratio mismatch/) });
  });
});
