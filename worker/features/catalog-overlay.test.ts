import { describe, expect, it } from "vitest";
import type { EdgeItemRecord } from "../../models/catalog.js";
import { CHANGES_PAGE, REREAD_MS, applyPoll, changedSince, freshOverlay, snapshotUsable, type CatalogSnapshot } from "./catalog-overlay.js";

const rec = (title: string): EdgeItemRecord => ({ title, category: null, available: true, price: null });
const snapshot = (takenAt: number): CatalogSnapshot => ({ takenAt, records: new Map([["a", rec("A")]]) });

describe("the catalog overlay", () => {
  it("uses a snapshot only once a poll from its time has caught up and the change set is complete from before it", () => {
    const s = freshOverlay(1_000);
    expect(snapshotUsable(s, snapshot(1_000))).toBe(false); // never polled
    expect(applyPoll(s, ["b", "1500", "c", "2500"], "900")).toEqual(["b", "c"]);
    expect(snapshotUsable(s, snapshot(1_000))).toBe(true);
    expect(snapshotUsable(s, snapshot(999))).toBe(false); // older than the overlay follows
    // The set is complete only from 1,200 (trimmed, or the store was reset): no snapshot from before.
    applyPoll(s, [], "1200");
    expect(snapshotUsable(s, snapshot(1_000))).toBe(false);
    expect(snapshotUsable(s, snapshot(1_200))).toBe(true);
    applyPoll(s, [], null); // a store that lost its data
    expect(snapshotUsable(s, snapshot(1_200))).toBe(false);
  });

  it("names an id changed when its newest stamp is at or after the snapshot, and re-reads the last stretch for late writers", () => {
    const s = freshOverlay(1_000);
    applyPoll(s, ["b", "1500", "c", "30000"], "0");
    expect(changedSince(s, "b", 1_000)).toBe(true);
    expect(changedSince(s, "b", 1_500)).toBe(true);
    expect(changedSince(s, "b", 1_501)).toBe(false);
    expect(changedSince(s, "a", 0)).toBe(false);
    expect(s.cursor).toBe(30_000 - REREAD_MS);
    // A re-read stamp is no news; a newer one for the same id is.
    expect(applyPoll(s, ["c", "30000"], "0")).toEqual([]);
    expect(applyPoll(s, ["c", "31000", "b", "25000"], "0")).toEqual(["c", "b"]);
    expect(s.changed.get("c")).toBe(31_000);
  });

  it("pages through a full reply before it trusts the snapshot, and gives up on a page of one stamp", () => {
    const s = freshOverlay(0);
    const page = (stamp: (i: number) => number) => Array.from({ length: CHANGES_PAGE }, (_, i) => [`i${i}`, String(stamp(i))]).flat();
    applyPoll(
      s,
      page((i) => 10 + i),
      "0",
    );
    expect(s.caughtUp).toBe(false);
    expect(snapshotUsable(s, snapshot(0))).toBe(false);
    expect(s.cursor).toBe(10 + CHANGES_PAGE - 1);
    applyPoll(s, ["z", String(20_000)], "0");
    expect(snapshotUsable(s, snapshot(0))).toBe(true);

    const stuck = freshOverlay(0);
    applyPoll(
      stuck,
      page(() => 0),
      "0",
    );
    expect(stuck.lost).toBe(true);
    applyPoll(stuck, [], "0");
    expect(snapshotUsable(stuck, snapshot(0))).toBe(false);
  });
});
