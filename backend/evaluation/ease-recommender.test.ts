import { describe, expect, it } from "vitest";
import { Popularity } from "./baselines.js";
import { EaseRecommender } from "./ease-recommender.js";
import { evaluate } from "./evaluate.js";
import { randomSplit } from "./random-split.js";
import { clusteredLog } from "./synthetic.js";

describe("EaseRecommender", () => {
  const split = randomSplit(clusteredLog({ users: 300, eventsPerUser: 15 }));
  const ndcg = (model: EaseRecommender | Popularity) => evaluate(model, split, { k: [10] }).rows.find((r) => r.group === "warm")!.ndcg;

  it("finds the planted clusters: NDCG@10 well above popularity on a random split", () => {
    const ease = ndcg(new EaseRecommender({ lambda: 10 }));
    const popularity = ndcg(new Popularity());
    expect(ease).toBeGreaterThan(popularity * 1.5);
    expect(ease).toBeGreaterThan(0.3);
  });

  it("never lists the history or excluded items, and ranks the history's cluster first", () => {
    const model = new EaseRecommender({ lambda: 10 });
    model.fit(split.train);
    const list = model.recommend(["c1-i0", "c1-i1", "c1-i2"], 5, new Set(["c1-i3"]));
    expect(list).toHaveLength(5);
    expect(list.filter((id) => ["c1-i0", "c1-i1", "c1-i2", "c1-i3"].includes(id))).toEqual([]);
    expect(list.every((id) => id.startsWith("c1-"))).toBe(true);
  });

  it("serves a history of unknown items from popularity", () => {
    const model = new EaseRecommender();
    model.fit(split.train);
    const popularity = new Popularity();
    popularity.fit(split.train);
    expect(model.recommend(["nope"], 5, new Set())).toEqual(popularity.recommend([], 5, new Set()));
  });

  it("refuses a catalog above its size limit, naming both sizes", () => {
    expect(() => new EaseRecommender({ maxItems: 10 }).fit(split.train)).toThrow(/at most 10 items .* this data has \d+/);
  });
});
