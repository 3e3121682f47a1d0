import { describe, expect, it } from "vitest";
import type { CatalogItem } from "../../models/catalog.js";
import type { Interaction } from "../evaluation/interactions.js";
import { mulberry32 } from "../evaluation/synthetic.js";
import { boughtTogether, contentTokens, similarItems, type Neighbours, type PurchaseRecord } from "./item-neighbours.js";

const ev = (user_id: string, item_id: string, weight = 1, ts = 0): Interaction => ({ user_id, item_id, ts, weight });

/** item → { neighbour: score rounded to 7 places } */
function scores(n: Neighbours, item: string): Record<string, number> {
  return Object.fromEntries((n.get(item) ?? []).map((x) => [x.item_id, Number(x.score.toFixed(7))]));
}

function assertWellFormed(n: Neighbours): void {
  for (const [item, list] of n) {
    expect(list.some((x) => x.item_id === item)).toBe(false);
    expect(new Set(list.map((x) => x.item_id)).size).toBe(list.length);
    for (let k = 1; k < list.length; k++) {
      const [a, b] = [list[k - 1]!, list[k]!];
      expect(a.score > b.score || (a.score === b.score && a.item_id < b.item_id)).toBe(true);
    }
  }
}

// 3 users × 4 items; r_ui = summed weight (u1's b comes as two records of 1):
//   u1: a=1, b=2        u2: a=1, b=1, c=3        u3: c=1, d=2
// item columns over (u1, u2, u3): a=(1,1,0) b=(2,1,0) c=(0,3,1) d=(0,0,2)
// norms: ‖a‖=√2, ‖b‖=√5, ‖c‖=√10, ‖d‖=2
// cos(a,b) = (1·2 + 1·1)/(√2·√5) = 3/√10 = 0.9486833   n_ab = 2 (u1, u2)
// cos(a,c) = (1·3)/(√2·√10)     = 3/√20 = 0.6708204   n_ac = 1 (u2)
// cos(b,c) = (1·3)/(√5·√10)     = 3/√50 = 0.4242641   n_bc = 1 (u2)
// cos(c,d) = (1·2)/(√10·2)      = 1/√10 = 0.3162278   n_cd = 1 (u3)
// cos(a,d) = cos(b,d) = 0 (no common user), so they are not neighbours.
const SMALL: Interaction[] = [
  ev("u1", "a"),
  ev("u1", "b"),
  ev("u1", "b"),
  ev("u2", "a"),
  ev("u2", "b"),
  ev("u2", "c", 3),
  ev("u3", "c"),
  ev("u3", "d", 2),
  ev("u3", "d", 0), // a dismissal adds nothing
];

describe("similarItems: co-occurrence", () => {
  it("computes the cosine by hand (no shrinkage)", () => {
    const n = similarItems(SMALL, [], { shrink: 0, minSupport: 0 });
    expect(scores(n, "a")).toEqual({ b: 0.9486833, c: 0.6708204 });
    expect(scores(n, "b")).toEqual({ a: 0.9486833, c: 0.4242641 });
    expect(scores(n, "c")).toEqual({ a: 0.6708204, b: 0.4242641, d: 0.3162278 });
    expect(scores(n, "d")).toEqual({ c: 0.3162278 });
    expect(n.get("c")!.map((x) => x.item_id)).toEqual(["a", "b", "d"]);
    expect([...n.values()].flat().every((x) => x.source === "co_occurrence")).toBe(true);
    assertWellFormed(n);
  });

  it("shrinks by n/(n + shrink), n = users who touched both", () => {
    // shrink = 1: a,b: 0.9486833·2/3 = 0.6324555; a,c: 0.6708204·1/2 = 0.3354102;
    // b,c: 0.4242641/2 = 0.2121320; c,d: 0.3162278/2 = 0.1581139
    const n = similarItems(SMALL, [], { shrink: 1, minSupport: 0 });
    expect(scores(n, "a")).toEqual({ b: 0.6324555, c: 0.3354102 });
    expect(scores(n, "c")).toEqual({ a: 0.3354102, b: 0.212132, d: 0.1581139 });
    // Default shrink 10: a,b = 0.9486833 · 2/12
    expect(similarItems(SMALL, [], { minSupport: 0 }).get("a")![0]!.score).toBeCloseTo((3 / Math.sqrt(10)) * (2 / 12), 12);
  });

  it("log scaling uses r = log(1 + sum/ε)", () => {
    const L = (w: number) => Math.log1p(w);
    // a = (L1, L1, 0), b = (L2, L1, 0)
    const expected = (L(1) * L(2) + L(1) * L(1)) / (Math.hypot(L(1), L(1)) * Math.hypot(L(2), L(1)));
    const n = similarItems(SMALL, [], { shrink: 0, minSupport: 0, scaling: { kind: "log", epsilon: 1 } });
    expect(n.get("a")![0]!.score).toBeCloseTo(expected, 12);
  });

  it("keeps the top N and caps a very active user to their most recent items", () => {
    const n = similarItems(SMALL, [], { shrink: 0, minSupport: 0, neighbours: 1 });
    expect(scores(n, "c")).toEqual({ a: 0.6708204 });
    // A user with 3 items, capped to 2: only the two latest (y at ts 2, z at ts 3) pair up.
    const log = [ev("v", "x", 1, 1), ev("v", "y", 1, 2), ev("v", "z", 1, 3)];
    const capped = similarItems(log, [], { minSupport: 0, maxItemsPerUser: 2 });
    expect(capped.get("x")).toEqual([]);
    expect(capped.get("y")!.map((x) => x.item_id)).toEqual(["z"]);
  });

  it("rejects bad options", () => {
    expect(() => similarItems(SMALL, [], { neighbours: 0 })).toThrow(RangeError);
    expect(() => similarItems(SMALL, [], { contentWeight: 1 })).toThrow(/contentWeight/);
    expect(() => similarItems(SMALL, [], { shrink: -1 })).toThrow(RangeError);
  });
});

const item = (item_id: string, title: string, category?: string, tags?: string[]): CatalogItem => ({
  item_id,
  title,
  ...(category ? { category } : {}),
  ...(tags ? { tags } : {}),
});

describe("similarItems: content fill", () => {
  const CATALOG = [
    item("x", "Trail running shoe", "shoes", ["trail", "running"]),
    item("y", "Trail running jacket", "apparel", ["trail", "running"]),
    item("z", "Road running shoe", "shoes", ["road"]),
    item("w", "Espresso cup", "kitchen", ["coffee"]),
    item("fresh", "Trail running shoe", "shoes", ["trail", "running"]),
  ];

  it("tokenises titles, whole tags and the category", () => {
    expect(contentTokens(item("t", "Children's Toy (1995)", "Comedy", ["Sci-Fi", " "]))).toEqual(["children", "toy", "1995", "tag:sci-fi", "category:comedy"]);
  });

  it("gives a never-interacted item content neighbours, the most shared tokens first", () => {
    // fresh shares 6 tokens with x (trail, running, shoe, tag:trail, tag:running, category:shoes),
    // 4 with y, 3 with z, none with w.
    const log = [ev("u1", "x"), ev("u1", "y"), ev("u2", "z"), ev("u2", "w")];
    const n = similarItems(log, CATALOG, { minSupport: 0 });
    const fresh = n.get("fresh")!;
    expect(fresh[0]!.item_id).toBe("x");
    expect(fresh.map((x) => x.item_id).sort()).toEqual(["x", "y", "z"]);
    expect(fresh.every((x) => x.source === "content")).toBe(true);
    // Identical token sets: cosine 1, and with no co-occurrence floor the score is contentWeight · 1.
    expect(fresh[0]!.score).toBeCloseTo(0.5, 12);
    assertWellFormed(n);
  });

  it("fills short co-occurrence lists with content, always below the item's co-occurrence scores", () => {
    const log = [ev("u1", "x"), ev("u1", "w")];
    const n = similarItems(log, CATALOG, { minSupport: 0, shrink: 0, neighbours: 3 });
    const x = n.get("x")!;
    // x's only co-occurrence neighbour is w (cos 1, floor 1); content fills the other two
    // slots: fresh (identical tokens, cos 1) then y (cos 0.48, shares 4 tokens) before z (cos 0.37, 3 tokens).
    expect(x.map((e) => [e.item_id, e.source])).toEqual([
      ["w", "co_occurrence"],
      ["fresh", "content"],
      ["y", "content"],
    ]);
    expect(x[0]!.score).toBe(1);
    expect(x[1]!.score).toBeCloseTo(0.5, 12); // contentWeight · cos(x, fresh) · floor
    assertWellFormed(n);
  });

  it("reserves half the list for content when an item has fewer than minSupport users", () => {
    // x co-occurs with many items through one user; with minSupport 5 it keeps N − ⌈N/2⌉ = 2 of them.
    const many = ["p1", "p2", "p3", "p4", "p5"].map((p) => ev("u1", p));
    const n = similarItems([ev("u1", "x"), ...many], CATALOG, { neighbours: 4 });
    const sources = n.get("x")!.map((e) => e.source);
    expect(sources).toEqual(["co_occurrence", "co_occurrence", "content", "content"]);
    // With enough support the same co-occurrence list fills all four slots.
    const supported = similarItems([ev("u1", "x"), ...many], CATALOG, { neighbours: 4, minSupport: 1 });
    expect(supported.get("x")!.every((e) => e.source === "co_occurrence")).toBe(true);
  });
});

/**
 * C clusters of M items; each user mostly picks uniformly inside their cluster. A user's
 * events are 8 h apart, so 24 h windows hold four purchases.
 */
function plantedClusters(seed: number, clusters = 6, itemsPerCluster = 20, users = 600, events = 20, noise = 0.1): Interaction[] {
  const rand = mulberry32(seed);
  const log: Interaction[] = [];
  for (let u = 0; u < users; u++) {
    for (let e = 0; e < events; e++) {
      const c = rand() < noise ? Math.floor(rand() * clusters) : u % clusters;
      log.push(ev(`u${u}`, `c${c}-i${Math.floor(rand() * itemsPerCluster)}`, 1, e * 8 * 3600_000 + u));
    }
  }
  return log;
}

const clusterOf = (id: string) => id.split("-")[0];

describe("similarItems: planted clusters", () => {
  const log = plantedClusters(3);
  const n = similarItems(log, []);

  it("≥ 90% of every item's top-10 neighbours share its cluster", () => {
    expect(n.size).toBe(120);
    for (const [id, list] of n) {
      const top = list.slice(0, 10);
      expect(top.length).toBe(10);
      const same = top.filter((x) => clusterOf(x.item_id) === clusterOf(id)).length;
      expect(same, id).toBeGreaterThanOrEqual(9);
    }
    assertWellFormed(n);
  });

  it("is deterministic and independent of record order", () => {
    const shuffled = [...log];
    const rand = mulberry32(99);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    expect(similarItems(shuffled, [])).toEqual(n);
  });
});

describe("boughtTogether", () => {
  // Eight baskets (order ids):
  //   B1 {a,b}  B2 {a,b}  B3 {a,b,c}  B4 {c,d}  B5 {c,d}  B6 {c}  B7 {d}  B8 {e}
  // N = 8; n_a = n_b = 3, n_ab = 3; n_c = 4, n_d = 3, n_cd = 2; n_ac = n_bc = 1.
  // lift(a,b) = N·n_ab/(n_a·n_b) = 8·3/9 = 2.6666667, E_ab = 3·3/8 = 1.125
  // lift(c,d) = 8·2/12 = 1.3333333,                  E_cd = 4·3/8 = 1.5
  // (a,c), (b,c): one basket, under minCount 2.
  const BASKETS: [string, string[]][] = [
    ["B1", ["a", "b"]],
    ["B2", ["a", "b"]],
    ["B3", ["a", "b", "c"]],
    ["B4", ["c", "d"]],
    ["B5", ["c", "d"]],
    ["B6", ["c"]],
    ["B7", ["d"]],
    ["B8", ["e"]],
  ];
  const orders = new Map<PurchaseRecord, string>();
  const log: PurchaseRecord[] = [];
  BASKETS.forEach(([order, items], b) =>
    items.forEach((i) => {
      const rec = { user_id: `u${b}`, item_id: i, ts: b, weight: 10, type: "purchase" };
      orders.set(rec, order);
      log.push(rec);
    }),
  );
  log.push({ user_id: "u0", item_id: "e", ts: 0, weight: 1, type: "view" }); // not a purchase
  const basket = (e: PurchaseRecord) => orders.get(e) ?? "none";

  it("scores by lift, hand-computed (no shrinkage)", () => {
    const n = boughtTogether(log, { basket, shrink: 0 });
    expect(scores(n, "a")).toEqual({ b: 2.6666667 });
    expect(scores(n, "b")).toEqual({ a: 2.6666667 });
    expect(scores(n, "c")).toEqual({ d: 1.3333333 });
    expect(scores(n, "d")).toEqual({ c: 1.3333333 });
    expect(n.get("e")).toEqual([]);
    expect(n.get("a")![0]!.source).toBe("co_purchase");
  });

  it("shrinks lift towards 1 by (n_ab + s)/(E_ab + s)", () => {
    // s = 1: (3 + 1)/(1.125 + 1) = 1.8823529; (2 + 1)/(1.5 + 1) = 1.2
    const n = boughtTogether(log, { basket, shrink: 1 });
    expect(scores(n, "a")).toEqual({ b: 1.8823529 });
    expect(scores(n, "c")).toEqual({ d: 1.2 });
  });

  it("drops pairs under minCount or not above the expected count", () => {
    // minCount 1 admits (a,c): n_ac = 1 < E_ac = 3·4/8 = 1.5, so it is still left out.
    const n = boughtTogether(log, { basket, shrink: 0, minCount: 1 });
    expect(Object.keys(scores(n, "c"))).toEqual(["d"]);
    expect(boughtTogether(log, { basket, minCount: 4 }).get("a")).toEqual([]);
  });

  it("forms baskets from a user's purchases within the window of the first", () => {
    const H = 3600_000;
    const p = (user_id: string, item_id: string, hours: number): PurchaseRecord => ({ user_id, item_id, ts: hours * H, weight: 1 });
    const windowed = [
      p("u1", "a", 0),
      p("u1", "b", 1),
      p("u1", "c", 30),
      p("u1", "d", 31), // {a,b} {c,d}
      p("u2", "a", 0),
      p("u2", "b", 23.9), // {a,b}
      p("u3", "c", 0),
      p("u3", "d", 2), // {c,d}
      p("u4", "a", 0),
      p("u4", "b", 25), // {a} {b}: 25 h apart
    ];
    // N = 6, n_a = n_b = 3, n_ab = 2 → lift 6·2/9 = 1.3333333; n_c = n_d = n_cd = 2 → 6·2/4 = 3
    const n = boughtTogether(windowed, { shrink: 0 });
    expect(scores(n, "a")).toEqual({ b: 1.3333333 });
    expect(scores(n, "c")).toEqual({ d: 3 });
    assertWellFormed(n);
  });

  it("finds planted clusters, sorted and deterministic", () => {
    const daily = plantedClusters(5, 4, 10, 400, 12);
    const n = boughtTogether(daily, { neighbours: 5 });
    let same = 0;
    let total = 0;
    for (const [id, list] of n) {
      same += list.filter((x) => clusterOf(x.item_id) === clusterOf(id)).length;
      total += list.length;
    }
    expect(total).toBeGreaterThan(100);
    expect(same / total).toBeGreaterThanOrEqual(0.9);
    assertWellFormed(n);
    expect(boughtTogether([...daily].reverse(), { neighbours: 5 })).toEqual(n);
  });
});
