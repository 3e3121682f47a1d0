import { describe, expect, it } from "vitest";
import type { EdgeItemRecord } from "../../models/catalog.js";
import { applyRules } from "./rules.js";

const rec = (category: string | null, available = true): EdgeItemRecord => ({ title: "t", category, available, price: null });
const ranked = ["a1", "a2", "a3", "b1", "gone", "a4", "c1"].map((item_id) => ({ item_id }));
const records = new Map<string, EdgeItemRecord>([
  ["a1", rec("A")],
  ["a2", rec("A")],
  ["a3", rec("A")],
  ["a4", rec("A")],
  ["b1", rec("B")],
  ["gone", rec("B", false)],
  ["c1", rec(null)],
]);
const base = { excluded: new Set<string>(), records, recordsKnown: true, category: null, limit: 5, maxCategoryShare: 0.4 };

describe("serving rules", () => {
  it("drops excluded and unavailable items and caps a category's share", () => {
    const ids = applyRules(ranked, { ...base, excluded: new Set(["a2"]) }).map((c) => c.item_id);
    // cap = floor(5 · 0.4) = 2 per category; a4 is held back and used to fill.
    expect(ids).toEqual(["a1", "a3", "b1", "c1", "a4"]);
  });

  it("never serves an item the catalog does not hold, once the catalog could be read", () => {
    const withStray = [{ item_id: "stray" }, ...ranked];
    expect(applyRules(withStray, base).map((c) => c.item_id)).not.toContain("stray");
    expect(applyRules(withStray, { ...base, limit: 10 }).map((c) => c.item_id)).toEqual(["a1", "a2", "a3", "b1", "a4", "c1"]);
  });

  it("filters to one category without capping it", () => {
    expect(applyRules(ranked, { ...base, category: "A" }).map((c) => c.item_id)).toEqual(["a1", "a2", "a3", "a4"]);
  });

  it("without catalog records it cannot honour a category filter and serves nothing for it", () => {
    expect(applyRules(ranked, { ...base, records: new Map(), recordsKnown: false, category: "A" })).toEqual([]);
    expect(applyRules(ranked, { ...base, records: new Map(), recordsKnown: false }).length).toBe(5);
  });
});
