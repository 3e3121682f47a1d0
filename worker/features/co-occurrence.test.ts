import { describe, expect, it } from "vitest";
import { pairIncrements, partnersOf } from "./co-occurrence.js";

const M = 60_000;
const rules = { windowMs: 30 * M, maxPartners: 2 };

describe("co-occurrence", () => {
  it("pairs with distinct items inside the window, nearest first, at most maxPartners", () => {
    const history = [
      { item_id: "a", ts: 0 },
      { item_id: "b", ts: 10 * M },
      { item_id: "b", ts: 11 * M },
      { item_id: "c", ts: 19 * M },
      { item_id: "far", ts: 60 * M },
    ];
    expect(partnersOf({ item_id: "x", ts: 20 * M }, history, rules)).toEqual(["c", "b"]);
    expect(partnersOf({ item_id: "c", ts: 20 * M }, history, { ...rules, maxPartners: 5 })).toEqual(["b", "a"]);
  });

  it("counts a pair once per batch however often the user flicks between the items", () => {
    const pairs = pairIncrements(
      [],
      [
        { item_id: "a", ts: 1 },
        { item_id: "b", ts: 2 },
        { item_id: "a", ts: 3 },
        { item_id: "b", ts: 4 },
        { item_id: "c", ts: 5 },
      ],
      { windowMs: 30 * M, maxPartners: 20 },
    );
    expect(pairs).toEqual([
      ["b", "a"],
      ["c", "b"],
      ["c", "a"],
    ]);
  });

  it("pairs new events with stored history", () => {
    expect(pairIncrements([{ item_id: "old", ts: 0 }], [{ item_id: "new", ts: M }], rules)).toEqual([["new", "old"]]);
    expect(pairIncrements([{ item_id: "old", ts: 0 }], [{ item_id: "new", ts: 31 * M }], rules)).toEqual([]);
  });
});
