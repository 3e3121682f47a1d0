import { describe, expect, it } from "vitest";
import { compare, numberIn, parseTable, runBaselineIfAsked } from "./baseline-run.js";

const PRINTED = `
GET /v1/recommendations — concurrency 8, 15 s (after 3 s warm-up)
  requests                                   2742
  throughput                                 182.8 req/s
  edge p50                                   19.00 ms
  cpu workerd (edge)                         13.4 s (89 % of a core), 4.876 ms per request
`;

describe("baseline comparison", () => {
  it("reads the printed rows by label", () => {
    const rows = parseTable(PRINTED);
    expect(rows.get("throughput")).toBe("182.8 req/s");
    expect(rows.get("cpu workerd (edge)")).toBe("13.4 s (89 % of a core), 4.876 ms per request");
    expect(rows.has("GET /v1/recommendations — concurrency 8, 15 s (after 3 s warm-up)")).toBe(false);
    expect(numberIn("1,234 events/s")).toBe(1234);
    expect(numberIn(rows.get("cpu workerd (edge)"), /([\d.]+) ms per request/)).toBe(4.876);
  });

  it("prints each figure with its ratio and says which way is better", () => {
    const before = parseTable("  throughput  100.0 req/s\n  edge p50  20.00 ms\n");
    const after = parseTable("  throughput  150.0 req/s\n  edge p50  25.00 ms\n");
    const rows = compare(
      [
        { label: "throughput", row: "throughput", higherIsBetter: true },
        { label: "edge p50", row: "edge p50", higherIsBetter: false },
        { label: "missing", row: "nope", higherIsBetter: true },
      ],
      before,
      after,
    );
    expect(rows).toEqual({
      throughput: "baseline 100, now 150: ×1.50 (better)",
      "edge p50": "baseline 20, now 25: ×1.25 (worse)",
      missing: "baseline —, now —",
    });
  });

  it("runs a baseline only when asked, and asks for the ref when it is missing", async () => {
    expect(await runBaselineIfAsked("bench/bulk.ts", [], ["node", "bench/bulk.ts", "--users", "10"])).toBe(false);
    await expect(runBaselineIfAsked("bench/bulk.ts", [], ["node", "bench/bulk.ts", "--baseline"])).rejects.toThrow(/needs a git ref/);
    await expect(runBaselineIfAsked("bench/bulk.ts", [], ["node", "bench/bulk.ts", "--baseline", "--users"])).rejects.toThrow(/needs a git ref/);
  });
});
