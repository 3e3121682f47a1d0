import { describe, expect, it } from "vitest";
import { DEFAULT_SCORE_WEIGHTS } from "../config.js";
import { anchorsFrom, scoreCandidates } from "./score.js";

const now = 1_700_000_000_000;

describe("heuristic scorer", () => {
  it("weighs anchors by position and age, skipping repeats and dismissals", () => {
    const anchors = anchorsFrom(
      [
        { item_id: "x", type: "view", ts: now },
        { item_id: "x", type: "view", ts: now - 1 },
        { item_id: "d", type: "dismiss", ts: now - 2 },
        { item_id: "y", type: "purchase", ts: now - 24 * 3600_000 },
      ],
      now,
    );
    expect(anchors.map((a) => a.item_id)).toEqual(["x", "y"]);
    expect(anchors[0]!.weight).toBeCloseTo(1, 12);
    // second position (0.85) and one day old (0.5 + 0.5·2^-1 = 0.75)
    expect(anchors[1]!.weight).toBeCloseTo(0.85 * 0.75, 12);
  });

  it("computes the weighted formula and names the strongest contribution", () => {
    const anchors = [{ item_id: "x", type: "view", ts: now, weight: 1 }];
    const signals = {
      coView: new Map([
        [
          "x",
          [
            ["a", 10],
            ["b", 5],
          ] as Array<[string, number]>,
        ],
      ]),
      coPurchase: new Map([["x", [["b", 2]] as Array<[string, number]>]]),
      trending: [
        ["c", 4],
        ["a", 2],
      ] as Array<[string, number]>,
      popular: [] as Array<[string, number]>,
    };
    const out = scoreCandidates(anchors, signals, DEFAULT_SCORE_WEIGHTS);
    // a: 1·1·(10/10) + 0.3·(2/4) = 1.15 ; b: 1·(5/10) + 0.8·(2/2) = 1.3 ; c: 0.3·(4/4) = 0.3
    expect(out.map((c) => [c.item_id, Number(c.score.toFixed(6))])).toEqual([
      ["b", 1.3],
      ["a", 1.15],
      ["c", 0.3],
    ]);
    expect(out[0]!.reason).toMatchObject({ kind: "anchor", source: "co_purchase" });
    expect(out[0]!.sources.sort()).toEqual(["co_purchase", "co_view"]);
    expect(out[2]!.reason).toEqual({ kind: "trending" });
  });

  it("a user without history gets trending before popular", () => {
    const out = scoreCandidates([], { coView: new Map(), coPurchase: new Map(), trending: [["t", 1]], popular: [["p", 9]] }, DEFAULT_SCORE_WEIGHTS);
    expect(out.map((c) => c.item_id)).toEqual(["t", "p"]);
  });
});
