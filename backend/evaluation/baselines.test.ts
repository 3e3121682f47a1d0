import { describe, expect, it } from "vitest";
import { ItemKnn, Popularity } from "./baselines.js";
import type { Interaction } from "./interactions.js";

const ev = (user_id: string, item_id: string, weight = 1): Interaction => ({ user_id, item_id, ts: 0, weight });

// u1 {a,b}, u2 {a,b,c}, u3 {c,d}; item columns over (u1,u2,u3):
// a=(1,1,0) b=(1,1,0) c=(0,1,1) d=(0,0,1)
// cos(a,b) = 2/(√2·√2) = 1;  cos(a,c) = cos(b,c) = 1/(√2·√2) = 0.5;  cos(c,d) = 1/(√2·1) = 0.7071068;  cos(a,d) = 0
const SMALL = [ev("u1", "a"), ev("u1", "b"), ev("u2", "a"), ev("u2", "b"), ev("u2", "c"), ev("u3", "c"), ev("u3", "d")];

describe("Popularity", () => {
  it("ranks by summed weight, ties by first appearance, and honours exclude", () => {
    const m = new Popularity();
    m.fit([ev("x", "a"), ev("x", "b", 5), ev("y", "c", 2), ev("y", "a", 2), ev("z", "d", 0)]);
    // a = 1 + 2 = 3, b = 5, c = 2; d only dismissed → unknown
    expect(m.recommend([], 10, new Set())).toEqual(["b", "a", "c"]);
    expect(m.recommend([], 2, new Set(["b"]))).toEqual(["a", "c"]);
  });

  it("refitting forgets the previous data", () => {
    const m = new Popularity();
    m.fit([ev("x", "a")]);
    m.fit([ev("x", "b")]);
    expect(m.recommend([], 5, new Set())).toEqual(["b"]);
  });
});

describe("ItemKnn", () => {
  it("computes cosine similarities by hand", () => {
    const m = new ItemKnn({ fillFromPopularity: false });
    m.fit(SMALL);
    const simsOf = (i: string) => Object.fromEntries(m.neighboursOf(i).map(([j, s]) => [j, Number(s.toFixed(7))]));
    expect(simsOf("a")).toEqual({ b: 1, c: 0.5 });
    expect(simsOf("c")).toEqual({ d: 0.7071068, a: 0.5, b: 0.5 });
    expect(simsOf("d")).toEqual({ c: 0.7071068 });
    expect(m.neighboursOf("unknown")).toEqual([]);
  });

  it("scores candidates by the sum of similarities to the history", () => {
    const m = new ItemKnn({ fillFromPopularity: false });
    m.fit(SMALL);
    // history [a]: b = 1, c = 0.5
    expect(m.recommend(["a"], 5, new Set())).toEqual(["b", "c"]);
    // history [a, d]: b = 1, c = 0.5 + 0.7071 = 1.2071
    expect(m.recommend(["a", "d"], 5, new Set())).toEqual(["c", "b"]);
    expect(m.recommend(["a", "d"], 5, new Set(["c"]))).toEqual(["b"]);
    // a repeated history item is counted once
    expect(m.recommend(["a", "a", "d"], 5, new Set())).toEqual(["c", "b"]);
    // calls do not leak scores into each other
    expect(m.recommend(["d"], 5, new Set())).toEqual(["c"]);
  });

  it("keeps only the top N neighbours", () => {
    const m = new ItemKnn({ neighbours: 1, fillFromPopularity: false });
    m.fit(SMALL);
    expect(m.neighboursOf("c")).toHaveLength(1);
    expect(m.recommend(["a"], 5, new Set())).toEqual(["b"]);
  });

  it("fills short lists from popularity, without repeats or excluded items", () => {
    const m = new ItemKnn();
    m.fit(SMALL);
    // neighbours give [b, c]; popularity a=2 b=2 c=2 d=1 adds d (a is history)
    expect(m.recommend(["a"], 3, new Set())).toEqual(["b", "c", "d"]);
    // a cold user gets popularity
    expect(m.recommend([], 2, new Set(["a"]))).toEqual(["b", "c"]);
  });

  it("uses event weights in the user–item matrix", () => {
    // u1 {a:1, b:3}, u2 {a:1, c:1}: cos(a,b) = 3/(√2·3) = 0.7071068; cos(a,c) = 1/(√2·1) = 0.7071068
    // u3 {b:1, c:3} tips it: b=(3,0,1) c=(0,1,3) a=(1,1,0)
    // cos(a,b) = 3/(√2·√10) = 0.6708204; cos(a,c) = 1/(√2·√10) = 0.2236068
    const m = new ItemKnn({ fillFromPopularity: false });
    m.fit([ev("u1", "a"), ev("u1", "b", 3), ev("u2", "a"), ev("u2", "c"), ev("u3", "b"), ev("u3", "c", 3)]);
    const sims = Object.fromEntries(m.neighboursOf("a").map(([j, s]) => [j, Number(s.toFixed(7))]));
    expect(sims).toEqual({ b: 0.6708204, c: 0.2236068 });
  });

  it("rejects a neighbour count that is not a positive integer", () => {
    expect(() => new ItemKnn({ neighbours: 0 })).toThrow(RangeError);
  });
});
