import { describe, expect, it } from "vitest";
import { decodeHistory, encodeHistoryEntry } from "./history.js";

describe("user history entries", () => {
  it("round-trips entries and skips what is not `<item>\\t<ts>`", () => {
    const entries = [encodeHistoryEntry({ item_id: "sku-1", ts: 1_700_000_000_000 }), encodeHistoryEntry({ item_id: "123", ts: 5 })];
    expect(decodeHistory([...entries, "no-tab", "\t7", "item\tnot-a-number", "a\t1\t2"])).toEqual([
      { item_id: "sku-1", ts: 1_700_000_000_000 },
      { item_id: "123", ts: 5 },
    ]);
    expect(decodeHistory(null)).toEqual([]);
  });
});
