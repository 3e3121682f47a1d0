import { describe, expect, it } from "vitest";
import { randomSplit, roundHalfEven } from "./random-split.js";
import type { Interaction } from "./interactions.js";

const ev = (user_id: string, item_id: string, ts: number, weight = 1): Interaction => ({ user_id, item_id, ts, weight });

describe("roundHalfEven", () => {
  it("rounds halves to the even neighbour, as Python's round does", () => {
    expect([0.5, 1.5, 2.5, 3.5, 4.5, -1.5].map(roundHalfEven)).toEqual([0, 2, 2, 4, 4, -2]);
    expect([0.75, 2.25, 3.0, 5.49].map(roundHalfEven)).toEqual([1, 2, 3, 5]);
  });
});

describe("randomSplit (protocol R)", () => {
  const eight = Array.from({ length: 8 }, (_, i) => ev("u8", `i${i}`, 100 + i));
  const log = [
    ...eight,
    ev("u1", "a", 1), // one distinct item: left out
    ev("u1", "a", 2),
    ev("u2", "a", 3), // two items: round(1.5) = 2 train, nothing to test
    ev("u2", "b", 4),
    ev("u4", "a", 5, 10),
    ev("u4", "a", 9, 30), // repeat: one pair, last ts 9, largest weight 30
    ev("u4", "b", 6),
    ev("u4", "c", 7),
    ev("u4", "d", 8),
    ev("u4", "z", 8, 0), // not positive: ignored
  ];

  it("keeps 75% of each user's distinct items in train, rounding half to even", () => {
    const split = randomSplit(log);
    expect(split.stats).toEqual({ users: 3, items: 12, positives: 14, usersLeftOut: 1, testUsers: 2, trainPairs: 11, testPairs: 3 });
    const byUser = new Map(split.warm.map((u) => [u.user_id, u]));
    expect([...byUser.keys()]).toEqual(["u4", "u8"]);
    expect(byUser.get("u4")!.relevant).toHaveLength(1);
    expect(byUser.get("u8")!.relevant).toHaveLength(2);
    for (const u of split.warm) {
      const all = new Set([...u.history, ...u.relevant]);
      expect(all.size).toBe(u.history.length + u.relevant.length);
      expect(u.seen).toEqual(u.history);
    }
    expect(split.cold).toEqual([]);
  });

  it("trains on one interaction per pair, with its last timestamp and largest weight, oldest first", () => {
    const split = randomSplit(log);
    const u2 = split.train.filter((e) => e.user_id === "u2");
    expect(u2).toEqual([ev("u2", "a", 3), ev("u2", "b", 4)]);
    const a = split.train.find((e) => e.user_id === "u4" && e.item_id === "a");
    if (a) expect(a).toEqual(ev("u4", "a", 9, 30));
    expect(split.train.some((e) => e.item_id === "z")).toBe(false);
    const u8 = split.warm.find((u) => u.user_id === "u8")!;
    const ts = u8.history.map((id) => Number(id.slice(1)));
    expect(ts).toEqual([...ts].sort((x, y) => x - y));
  });

  it("is a function of the seed", () => {
    const items = (s: number) => randomSplit(log, { seed: s }).warm.map((u) => u.relevant.join());
    expect(items(42)).toEqual(items(42));
    const seeds = Array.from({ length: 10 }, (_, s) => items(s).join("|"));
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it("refuses a train fraction outside (0, 1)", () => {
    expect(() => randomSplit(log, { trainFraction: 1 })).toThrow(/trainFraction must be in \(0, 1\)/);
  });
});
