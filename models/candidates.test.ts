import { describe, expect, it } from "vitest";
import { fallbackScores, generateCandidates, neighbourCandidates, otherCandidates, retrievalOrderScores } from "./candidates.js";

describe("neighbourCandidates", () => {
  it("sums similarities over anchors and remembers the strongest anchor", () => {
    const similar = new Map([
      [
        "a",
        [
          ["x", 0.5],
          ["y", 0.2],
        ] as Array<[string, number]>,
      ],
      [
        "b",
        [
          ["x", 0.1],
          ["y", 0.9],
        ] as Array<[string, number]>,
      ],
    ]);
    const got = neighbourCandidates(["a", "b", "unknown"], (id) => similar.get(id));
    expect(got.get("x")).toEqual({ score: 0.6, anchor: "a" });
    expect(got.get("y")!.score).toBeCloseTo(1.1, 9);
    expect(got.get("y")!.anchor).toBe("b");
  });
});

describe("generateCandidates", () => {
  const input = {
    retrieval: [
      ["r1", 3],
      ["seen", 2.5],
      ["r2", 2],
    ] as Array<[string, number]>,
    retrievalScoreOf: (id: string) => (({ r1: 3, r2: 2, p1: -1 }) as Record<string, number>)[id] ?? null,
    neighbours: new Map([
      ["n1", { score: 0.4, anchor: "a" }],
      ["r1", { score: 0.9, anchor: "b" }],
    ]),
    realtime: [["v1", 5, "co_view"]] as Array<[string, number, "co_view"]>,
    trending: [
      ["t1", 8],
      ["r2", 1],
    ] as Array<[string, number]>,
    popular: [["p1", 20]] as Array<[string, number]>,
  };

  it("merges sources, keeps every signal and drops excluded items", () => {
    const got = generateCandidates(input, new Set(["seen"]));
    const byId = new Map(got.map((c) => [c.item_id, c]));
    expect([...byId.keys()].sort()).toEqual(["n1", "p1", "r1", "r2", "t1", "v1"]);
    expect(byId.get("r1")).toMatchObject({ sources: ["cf", "similar"], anchor: "b", retrievalScore: 3, neighbourScore: 0.9 });
    expect(byId.get("r2")).toMatchObject({ sources: ["cf", "trending"], trending: 1 });
    expect(byId.get("p1")).toMatchObject({ sources: ["popular"], popular: 20, retrievalScore: -1 });
    expect(byId.get("v1")!.sources).toEqual(["co_view"]);
  });

  it("caps each source, counting only items it admits", () => {
    const got = generateCandidates(input, new Set(["seen"]), { retrieval: 1, similar: 1, realtime: 0, trending: 1, popular: 0 });
    expect(got.map((c) => c.item_id).sort()).toEqual(["r1", "t1"]);
  });

  it("knows the other sources' candidates before retrieval: the same whatever retrieval found", () => {
    const others = otherCandidates(input, new Set(["seen"]));
    // Neighbours strongest first, then live partners, trending and popular; r1 and r2 are
    // named although retrieval found them too, so their scores are asked for either way.
    expect(others).toEqual([
      ["r1", "similar"],
      ["n1", "similar"],
      ["v1", "co_view"],
      ["t1", "trending"],
      ["r2", "trending"],
      ["p1", "popular"],
    ]);
    const withRetrieval = generateCandidates(input, new Set(["seen"]));
    const without = generateCandidates({ ...input, retrieval: [] }, new Set(["seen"]));
    const beyond = (cands: typeof without) =>
      cands
        .filter((c) => c.sources.some((s) => s !== "cf"))
        .map((c) => c.item_id)
        .sort();
    expect(beyond(withRetrieval)).toEqual(beyond(without));
    expect(beyond(without)).toEqual(others.map(([id]) => id).sort());
    // Precomputed, they give the same candidates.
    expect(generateCandidates(input, new Set(["seen"]), undefined, others)).toEqual(withRetrieval);
  });
});

describe("fallbackScores", () => {
  it("normalises each signal by its maximum and weighs retrieval first", () => {
    const s = fallbackScores([
      { item_id: "a", retrievalScore: 2, neighbourScore: 0, trending: 0, popular: 10 },
      { item_id: "b", retrievalScore: 1, neighbourScore: 4, trending: 5, popular: 0 },
    ]);
    // a: 1·2/2 + 0 + 0 + 0.1·10/10 = 1.1;  b: 1·1/2 + 0.5·4/4 + 0.15·5/5 + 0 = 1.15
    expect(s[0]).toBeCloseTo(1.1, 6);
    expect(s[1]).toBeCloseTo(1.15, 6);
  });
});

describe("retrievalOrderScores", () => {
  it("puts every item the retrieval scores above zero first, in retrieval order, then the formula's order", () => {
    const c = (item_id: string, retrievalScore: number | null, popular: number) => ({ item_id, retrievalScore, neighbourScore: 0, trending: 0, popular });
    const cands = [c("a", 0.2, 0), c("b", null, 100), c("c", 0.9, 1), c("d", -0.5, 50), c("e", 0.3, 5)];
    const s = retrievalOrderScores(cands);
    const order = cands.map((x, i) => [x.item_id, s[i]!] as const).sort((x, y) => y[1] - x[1]);
    expect(order.map(([id]) => id)).toEqual(["c", "e", "a", "b", "d"]);
  });
});
