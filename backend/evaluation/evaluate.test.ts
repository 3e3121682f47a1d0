import { describe, expect, it } from "vitest";
import { ItemKnn, Popularity, type Recommender } from "./baselines.js";
import { evaluate, formatReport, scoreGroup } from "./evaluate.js";
import type { Interaction } from "./interactions.js";
import { clusteredLog } from "./synthetic.js";
import { temporalSplit, type TemporalSplit } from "./temporal-split.js";

const ev = (user_id: string, item_id: string, ts: number): Interaction => ({ user_id, item_id, ts, weight: 1 });

/** Returns fixed lists so the metric plumbing can be checked by hand. */
class Scripted implements Recommender {
  readonly name = "scripted";
  readonly calls: [readonly string[], number, string[]][] = [];
  fit(): void {}
  recommend(history: readonly string[], k: number, exclude: ReadonlySet<string>): string[] {
    this.calls.push([history, k, [...exclude].sort()]);
    return history.length > 0 ? ["b", "x", "c"] : ["a"];
  }
}

describe("evaluate", () => {
  // u1 trains on a, then buys b and c; u2 is new and buys a. Cut at ts 10.
  const split: TemporalSplit = temporalSplit([ev("u1", "a", 1), ev("u3", "x", 2), ev("u1", "b", 10), ev("u1", "c", 11), ev("u2", "a", 12)], {
    cutTs: 10,
  });

  it("asks once per user for max K with the training items excluded, and scores prefixes", () => {
    const model = new Scripted();
    const { rows } = evaluate(model, split, { k: [1, 2] });
    expect(model.calls).toEqual([
      [["a"], 2, ["a"]],
      [[], 2, []],
    ]);
    const warm1 = rows.find((r) => r.group === "warm" && r.k === 1)!;
    // list [b, x, c], relevant {b, c}, K=1: recall 1/2, NDCG 1/1 = 1, AP 1/min(1,2) = 1
    expect(warm1).toMatchObject({ users: 1, recall: 0.5, ndcg: 1, map: 1, hitRate: 1 });
    // coverage: catalog {a, x}; top-1 [b] has none of them → 0
    expect(warm1.coverage).toBe(0);
    const warm2 = rows.find((r) => r.group === "warm" && r.k === 2)!;
    // K=2 [b, x]: still one hit, but the ideal now has 2 hits: NDCG 1/(1 + 1/log2(3)) = 0.6131472,
    // AP (1/1)/min(2,2) = 0.5; coverage {x} → 1/2
    expect(warm2).toMatchObject({ recall: 0.5, map: 0.5, coverage: 0.5 });
    expect(warm2.ndcg).toBeCloseTo(0.6131472, 6);
    const cold1 = rows.find((r) => r.group === "cold" && r.k === 1)!;
    expect(cold1).toMatchObject({ users: 1, recall: 1, ndcg: 1, map: 1, hitRate: 1, coverage: 0.5 });
  });

  it("rejects an empty or invalid K list", () => {
    expect(() => evaluate(new Scripted(), split, { k: [] })).toThrow(RangeError);
    expect(() => evaluate(new Scripted(), split, { k: [0] })).toThrow(RangeError);
  });

  it("an empty group gives n/a metrics rather than zeros", () => {
    const row = scoreGroup("m", "cold", [], [], new Set(["a"]), 10);
    expect(row.users).toBe(0);
    expect(row.recall).toBeNaN();
    expect(formatReport([row])).toContain("n/a");
  });

  it("formats an aligned table", () => {
    const { rows } = evaluate(new Scripted(), split, { k: [1, 20] });
    const lines = formatReport(rows).split("\n");
    expect(lines[0]).toMatch(/^model\s+users\s+n\s+K\s+Recall\s+Precision\s+NDCG\s+MAP\s+HitRate\s+Coverage$/);
    expect(lines[1]).toMatch(/^-+( +-+)+$/);
    expect(lines).toHaveLength(2 + 4);
    // every data line ends at the same column, because numbers are right-aligned
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[2]).toContain("scripted  warm");
  });
});

describe("item-kNN against popularity on planted clusters", () => {
  const log = clusteredLog({ seed: 42, clusters: 5, itemsPerCluster: 20, users: 300, eventsPerUser: 15, noise: 0.1 });
  const split = temporalSplit(log, { testFraction: 0.2 });
  const knn = evaluate(new ItemKnn({ neighbours: 20 }), split, { k: [10] }).rows.find((r) => r.group === "warm")!;
  const pop = evaluate(new Popularity(), split, { k: [10] }).rows.find((r) => r.group === "warm")!;

  it("has warm test users to compare on", () => {
    expect(split.warm.length).toBeGreaterThan(200);
  });

  it("item-kNN wins on every accuracy metric and on coverage", () => {
    expect(knn.recall).toBeGreaterThan(pop.recall * 1.5);
    expect(knn.ndcg).toBeGreaterThan(pop.ndcg * 1.5);
    expect(knn.map).toBeGreaterThan(pop.map);
    expect(knn.hitRate).toBeGreaterThan(pop.hitRate);
    expect(knn.coverage).toBeGreaterThan(pop.coverage);
  });
});
