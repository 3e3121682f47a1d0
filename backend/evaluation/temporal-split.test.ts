import { describe, expect, it } from "vitest";
import type { Interaction } from "./interactions.js";
import { cutTimestamp, temporalSplit } from "./temporal-split.js";

const ev = (user_id: string, item_id: string, ts: number, weight = 10): Interaction => ({ user_id, item_id, ts, weight });

// A tiny log; weight 0 stands for a dismiss.
const LOG: Interaction[] = [
  ev("u1", "a", 1),
  ev("u1", "b", 2),
  ev("u1", "x", 3, 0),
  ev("u1", "a", 4),
  ev("u1", "c", 8),
  ev("u1", "a", 9),
  ev("u1", "x", 9), // c is new; a is a re-purchase; x was dismissed before
  ev("u2", "a", 4),
  ev("u2", "d", 10),
  ev("u2", "z", 10), // d and z never occur in training
  ev("u3", "b", 8), // no training history at all: cold
  ev("u4", "c", 5), // training only: not a test user
  ev("u5", "a", 6),
  ev("u5", "a", 9), // only a repeat after the cut: dropped
  ev("u6", "y", 2, 0),
  ev("u6", "e", 9), // only a dismiss before the cut: cold
];

describe("temporalSplit on a hand-made log", () => {
  // 16 timestamps sorted: 1 2 2 3 4 4 5 6 | 8 8 9 9 9 9 10 10
  // testFraction 0.5 → index floor(0.5 × 16) = 8 → cut at ts 8; events at ts 8 are test.
  const split = temporalSplit(LOG, { testFraction: 0.5 });

  it("cuts at the quantile and keeps ties on the test side", () => {
    expect(split.cutTs).toBe(8);
    expect(split.train).toHaveLength(8);
    expect(split.train.every((e) => e.ts < 8)).toBe(true);
    expect(split.stats.testInteractions).toBe(8);
  });

  it("the catalog is the positively touched training items", () => {
    // x and y were only dismissed in training
    expect([...split.catalog].sort()).toEqual(["a", "b", "c"]);
  });

  it("warm users: history by last touch, seen includes dismissals, relevant only new items", () => {
    expect(split.warm.map((u) => u.user_id)).toEqual(["u1", "u2"]);
    const u1 = split.warm[0]!;
    // a last touched at 4, b at 2 → [b, a]; the dismissed x is seen but not history
    expect(u1.history).toEqual(["b", "a"]);
    expect([...u1.seen].sort()).toEqual(["a", "b", "x"]);
    // after the cut: c (new), a (re-purchase), x (touched before) → only c
    expect(u1.relevant).toEqual(["c"]);
    expect(split.warm[1]!.relevant).toEqual(["d", "z"]);
  });

  it("cold users are those without positive training interactions", () => {
    expect(split.cold.map((u) => [u.user_id, u.history, u.relevant])).toEqual([
      ["u3", [], ["b"]],
      ["u6", [], ["e"]],
    ]);
    expect(split.cold[1]!.seen).toEqual(["y"]);
  });

  it("counts what it dropped and what no model can retrieve", () => {
    expect(split.stats).toEqual({
      trainInteractions: 8,
      testInteractions: 8,
      warmUsers: 2,
      coldUsers: 2,
      warmUsersWithoutNewItems: 1, // u5
      relevantPairs: 3, // u1:c, u2:d, u2:z
      relevantPairsOutsideCatalog: 2, // d, z
    });
  });
});

describe("cutTimestamp", () => {
  const tenEvents = Array.from({ length: 10 }, (_, i) => ev("u", `i${i}`, i + 1));

  it("by interactions: the last 20% of events", () => {
    // sorted 1..10, index floor(0.8 × 10) = 8 → ts 9; train = 1..8
    expect(cutTimestamp(tenEvents, { testFraction: 0.2 })).toBe(9);
    expect(temporalSplit(tenEvents).train).toHaveLength(8);
  });

  it("by time: the last 20% of the calendar span", () => {
    // 1 + 0.8 × (10 − 1) = 8.2
    expect(cutTimestamp(tenEvents, { by: "time", testFraction: 0.2 })).toBeCloseTo(8.2, 12);
  });

  it("an explicit cut wins", () => {
    expect(cutTimestamp(tenEvents, { cutTs: 3, testFraction: 0.9 })).toBe(3);
  });

  it("rejects an empty log and fractions outside (0, 1)", () => {
    expect(() => cutTimestamp([])).toThrow(RangeError);
    expect(() => cutTimestamp(tenEvents, { testFraction: 0 })).toThrow(RangeError);
    expect(() => cutTimestamp(tenEvents, { testFraction: 1 })).toThrow(RangeError);
  });
});
