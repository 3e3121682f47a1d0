import { describe, expect, it } from "vitest";
import type { RecsRequest, RecsResult } from "./recommend-for-user.js";
import { servedLists } from "./served-list.js";

const request: RecsRequest = { userId: "u1", limit: 3, context: "home", itemId: null, category: null, exclude: [] };

function result(overrides: Partial<RecsResult>): RecsResult {
  return {
    model_version: "v1",
    items: [
      { item_id: "a", score: 2.5, sources: ["cf", "similar"], reason: "r" },
      { item_id: "b", score: 1.25, sources: ["popular"], reason: "r" },
    ],
    degraded: [],
    experiment: null,
    personalised: true,
    ranked: true,
    ...overrides,
  };
}

describe("servedLists", () => {
  it("logs the ranker's scores in list order when the ranker ordered the list, and none otherwise", () => {
    const [ranked, unranked] = servedLists(
      [
        { requestId: "r1", request, result: result({}), started: performance.now() },
        { requestId: "r2", request, result: result({ ranked: false }), started: performance.now() },
      ],
      0,
    );
    expect(ranked).toMatchObject({
      request_id: "r1",
      user_id: "u1",
      model_version: "v1",
      items: ["a", "b"],
      scores: [2.5, 1.25],
      sources: { cf: 1, similar: 1, popular: 1 },
    });
    expect(unranked).not.toHaveProperty("scores");
    expect(ranked).not.toHaveProperty("features");
  });

  it("logs the head's ranking features on the sampled share of ranked lists only", () => {
    const rows = Float32Array.of(0.1, 2, 1 / 3, 4);
    let built = 0;
    const headFeatures = () => (built++, rows);
    const draws = [0.05, 0.5, 0.05];
    const lists = servedLists(
      [
        { requestId: "in", request, result: result({ headFeatures }), started: 0 },
        { requestId: "out", request, result: result({ headFeatures }), started: 0 },
        { requestId: "unranked", request, result: result({ ranked: false }), started: 0 },
      ],
      0.1,
      () => draws.shift()!,
    );
    // Two head rows of two features, as float32 rounded to six digits.
    expect(lists[0]!.features).toEqual([0.1, 2, 0.333333, 4]);
    expect(lists[1]).not.toHaveProperty("features");
    expect(lists[2]).not.toHaveProperty("features");
    // Share 0 logs none, and draws nothing.
    expect(servedLists([{ requestId: "z", request, result: result({ headFeatures }), started: 0 }], 0, () => 0)[0]).not.toHaveProperty("features");
    // Built for the sampled list alone.
    expect(built).toBe(1);
  });

  it("logs no list of a user who turned personalisation off, and credits no QA override to its variant", () => {
    const forced = { experimentId: "e", variant: "b", changes: {}, forced: true };
    const lists = servedLists(
      [
        { requestId: "off", request, result: result({ personalised: false }), started: 0 },
        { requestId: "qa", request, result: result({ experiment: forced }), started: 0 },
        { requestId: "exp", request, result: result({ experiment: { ...forced, forced: false } }), started: 0 },
      ],
      0,
    );
    expect(lists.map((l) => [l.request_id, l.experiment])).toEqual([
      ["qa", null],
      ["exp", { id: "e", variant: "b" }],
    ]);
  });
});
