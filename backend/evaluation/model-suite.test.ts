import { describe, expect, it } from "vitest";
import type { IalsRecommender } from "./ials-recommender.js";
import { evaluateModels, MODEL_SPECS, modelIds, standardModels, typicalWeight, type SuiteProgress } from "./model-suite.js";
import { clusteredLog } from "./synthetic.js";
import { temporalSplit } from "./temporal-split.js";

describe("standardModels", () => {
  it("builds every model of the suite, in order, or the chosen ones", () => {
    expect(modelIds()).toEqual(["popularity", "item-knn", "ease", "ials", "pipeline"]);
    expect(standardModels().map((m) => m.name)).toEqual([
      "popularity",
      "item-kNN (N=50, popularity fill)",
      "EASE (λ=200)",
      "iALS (f=64, λ=5, α=1, it=15, log ε=10)",
      "pipeline",
    ]);
    expect(standardModels({ only: ["ials", "popularity"], neighbours: 20 }).map((m) => m.name)).toEqual([
      "popularity",
      "iALS (f=64, λ=5, α=1, it=15, log ε=10)",
    ]);
    expect(standardModels({ only: ["item-knn"], neighbours: 20 })[0]!.name).toBe("item-kNN (N=20, popularity fill)");
    expect(() => standardModels({ only: ["svd"] })).toThrow("unknown model svd; known: popularity, item-knn, ease, ials");
    expect(MODEL_SPECS.every((s) => s.description.length > 0)).toBe(true);
  });

  it("scales iALS's log ε to the data's typical weight unless a scaling is given", () => {
    const ials = (o: Parameters<typeof standardModels>[0]) => standardModels({ ...o, only: ["ials"] })[0] as IalsRecommender;
    expect(ials({ typicalWeight: 1 }).scaling).toEqual({ kind: "log", epsilon: 1 });
    expect(ials({}).scaling).toEqual({ kind: "log", epsilon: 10 });
    expect(ials({ typicalWeight: 1, ials: { scaling: { kind: "linear" } } }).scaling).toEqual({ kind: "linear" });
    expect(ials({ typicalWeight: 1, ials: { factors: 8 } }).params.factors).toBe(8);
  });

  it("typicalWeight is the median positive weight", () => {
    const e = (weight: number) => ({ user_id: "u", item_id: "i", ts: 0, weight });
    expect(typicalWeight([e(1), e(10), e(10), e(0)])).toBe(10);
    expect(typicalWeight([e(1), e(3)])).toBe(2);
    expect(typicalWeight([])).toBe(1);
  });
});

describe("evaluateModels", () => {
  it("evaluates each model on the same split and reports progress around each", () => {
    const split = temporalSplit(clusteredLog({ users: 60 }));
    const seen: string[] = [];
    const onProgress = (p: SuiteProgress) => seen.push(`${p.stage} ${p.index + 1}/${p.of} ${p.model}`);
    const results = evaluateModels(standardModels({ only: ["popularity", "item-knn"] }), split, { k: [5, 10], onProgress });
    expect(results.map((r) => r.name)).toEqual(["popularity", "item-kNN (N=50, popularity fill)"]);
    expect(results[0]!.rows.map((r) => `${r.group}@${r.k}`)).toEqual(["warm@5", "warm@10", "cold@5", "cold@10"]);
    expect(results[0]!.lists).toBe(split.warm.length + split.cold.length);
    expect(seen).toEqual([
      "start 1/2 popularity",
      "done 1/2 popularity",
      "start 2/2 item-kNN (N=50, popularity fill)",
      "done 2/2 item-kNN (N=50, popularity fill)",
    ]);
  });
});
