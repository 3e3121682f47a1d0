import { describe, expect, it } from "vitest";
import { decodeTrainedHistory, encodeTrainedHistory, trainedHistories, withTrainedHistory } from "./trained-history.js";

const ev = (user_id: string, item_id: string, ts: number, weight: number) => ({ user_id, item_id, ts, weight });

describe("trainedHistories", () => {
  it("sums each user's weights per item, keeps the latest time, and orders newest first", () => {
    const h = trainedHistories([ev("u", "a", 10, 1), ev("u", "b", 20, 3), ev("u", "a", 30, 5), ev("v", "a", 5, 1)]);
    expect(h.get("u")).toEqual([
      { item_id: "a", weight: 6, ts: 30 },
      { item_id: "b", weight: 3, ts: 20 },
    ]);
    expect(h.get("v")).toEqual([{ item_id: "a", weight: 1, ts: 5 }]);
  });

  it("keeps only the newest items past the cap, ties broken by item id", () => {
    const h = trainedHistories([ev("u", "c", 1, 1), ev("u", "b", 2, 1), ev("u", "a", 2, 1)], 2);
    expect(h.get("u")!.map((i) => i.item_id)).toEqual(["a", "b"]);
  });
});

describe("the stored encoding", () => {
  it("round-trips, with fractional and zero weights", () => {
    const items = [
      { item_id: "sku:1|red", weight: 2.5, ts: 1_700_000_000_123 },
      { item_id: "b", weight: 0, ts: 0 },
    ];
    expect(encodeTrainedHistory(items)).toBe("sku:1|red\t2.5\t1700000000123\nb\t0\t0");
    expect(decodeTrainedHistory(encodeTrainedHistory(items))).toEqual(items);
  });

  it("skips damaged lines and answers [] for a missing or non-string value", () => {
    expect(decodeTrainedHistory("a\t1\t5\nbroken\nb\tx\t3\nc\t2")).toEqual([{ item_id: "a", weight: 1, ts: 5 }]);
    expect(decodeTrainedHistory(null)).toEqual([]);
    expect(decodeTrainedHistory("")).toEqual([]);
    expect(decodeTrainedHistory(42)).toEqual([]);
  });
});

describe("withTrainedHistory", () => {
  const trained = [
    { item_id: "a", weight: 6, ts: 30 },
    { item_id: "b", weight: 3, ts: 20 },
  ];

  it("adds only the session events newer than the newest trained item, newest first", () => {
    const session = [
      { item_id: "c", ts: 40, weight: 1 },
      // Already in the training data: counting it again would double its weight.
      { item_id: "a", ts: 30, weight: 5 },
      { item_id: "b", ts: 25, weight: 1 },
    ];
    expect(withTrainedHistory(session, trained)).toEqual([{ item_id: "c", ts: 40, weight: 1 }, trained[0], trained[1]]);
  });

  it("is the session alone when nothing was trained", () => {
    const session = [{ item_id: "c", ts: 1, weight: 1 }];
    expect(withTrainedHistory(session, [])).toEqual(session);
  });
});
