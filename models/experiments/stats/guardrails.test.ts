import { describe, expect, it } from "vitest";
import { checkGuardrails, MIN_GUARDRAIL_LISTS, type VariantGuardrailMetrics } from "./guardrails.js";

const v = (variant: string, latencyP95Ms: number | null, errorRate: number | null, lists = 500): VariantGuardrailMetrics => ({
  variant,
  lists,
  latencyMeasured: lists,
  latencyP95Ms,
  errorRate,
});

describe("checkGuardrails", () => {
  it("holds when every variant is within every threshold", () => {
    const r = checkGuardrails(
      [
        { metric: "latency_p95_ms", threshold: 150 },
        { metric: "error_rate", threshold: 0.01 },
      ],
      [v("a", 90, 0.002), v("b", 150, 0.01)],
    );
    expect(r.breached).toBe(false);
    expect(r.checks.map((c) => c.status)).toEqual(["holds", "holds", "holds", "holds"]);
    expect(r.sentence).toBe("guardrails hold");
  });

  it("names each breach, in plain words", () => {
    const r = checkGuardrails(
      [
        { metric: "latency_p95_ms", threshold: 150 },
        { metric: "error_rate", threshold: 0.01 },
      ],
      [v("a", 90, 0.002), v("b", 212, 0.035)],
    );
    expect(r.breached).toBe(true);
    expect(r.sentence).toBe("guardrail breached: b latency p95 212 ms > 150 ms; b error rate 3.50% > 1.00%");
  });

  it("does not judge a thin sample", () => {
    const r = checkGuardrails([{ metric: "latency_p95_ms", threshold: 10 }], [v("a", 900, 0, MIN_GUARDRAIL_LISTS - 1), v("b", null, null, 0)]);
    expect(r.breached).toBe(false);
    expect(r.checks.map((c) => c.status)).toEqual(["not_enough_data", "not_enough_data"]);
    expect(r.sentence).toMatch(/^guardrails not checked yet/);
  });

  it("says when there is nothing to check", () => {
    expect(checkGuardrails([], [v("a", 1, 0)]).sentence).toBe("no guardrails configured");
  });
});
