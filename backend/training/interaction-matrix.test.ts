import { describe, expect, it } from "vitest";
import { buildInteractionMatrix, historyFromInteractions, interactionStrength, type Csr, type Interaction } from "./interaction-matrix.js";

function dense(m: Csr): number[][] {
  const out = Array.from({ length: m.rows }, () => new Array<number>(m.cols).fill(0));
  for (let r = 0; r < m.rows; r++) {
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) out[r]![m.indices[k]!] = m.values[k]!;
  }
  return out;
}

const events: Interaction[] = [
  { user_id: "bob", item_id: "i2", type: "view" },
  { user_id: "amy", item_id: "i1", type: "click" },
  { user_id: "bob", item_id: "i2", type: "purchase" },
  { user_id: "amy", item_id: "i3", type: "dismiss" },
  { user_id: "cat", item_id: "i1", type: "view" },
  { user_id: "amy", item_id: "i2", type: "view" },
];

describe("buildInteractionMatrix", () => {
  it("sums event weights per cell, drops zero cells and indexes ids in sorted order", () => {
    const m = buildInteractionMatrix(events);
    expect(m.userIds).toEqual(["amy", "bob", "cat"]);
    expect(m.itemIds).toEqual(["i1", "i2", "i3"]);
    // amy: click i1 (3), view i2 (1), dismiss i3 (0 → dropped); bob: view + purchase i2 = 11.
    expect(dense(m.byUser)).toEqual([
      [3, 1, 0],
      [0, 11, 0],
      [1, 0, 0],
    ]);
    expect(m.byUser.indices.length).toBe(4);
  });

  it("keeps column indices ascending within each row", () => {
    const m = buildInteractionMatrix(events);
    for (const csr of [m.byUser, m.byItem]) {
      for (let r = 0; r < csr.rows; r++) {
        for (let k = csr.indptr[r]! + 1; k < csr.indptr[r + 1]!; k++) expect(csr.indices[k]!).toBeGreaterThan(csr.indices[k - 1]!);
      }
    }
  });

  it("builds the transpose", () => {
    const m = buildInteractionMatrix(events);
    const u = dense(m.byUser);
    const t = dense(m.byItem);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) expect(t[c]![r]).toBe(u[r]![c]);
  });

  it("is independent of the order of the interactions", () => {
    const a = buildInteractionMatrix(events);
    const b = buildInteractionMatrix([...events].reverse());
    expect(b.byUser).toEqual(a.byUser);
    expect(b.userIds).toEqual(a.userIds);
  });

  it("applies weight overrides and log scaling", () => {
    const m = buildInteractionMatrix(events, { eventWeights: { view: 2 }, scaling: { kind: "log", epsilon: 1 } });
    const d = dense(m.byUser);
    expect(d[1]![1]).toBeCloseTo(Math.log1p(12), 6); // bob: view 2 + purchase 10
    expect(d[2]![0]).toBeCloseTo(interactionStrength(2, m.scaling), 6);
  });

  it("turns a session into fold-in history with the matrix's weights and scaling", () => {
    const options = { scaling: { kind: "log", epsilon: 2 } } as const;
    const m = buildInteractionMatrix(events, options);
    const session = [
      { item_id: "i2", type: "view" },
      { item_id: "unknown", type: "purchase" },
      { item_id: "i2", type: "purchase" },
      { item_id: "i3", type: "dismiss" },
    ] as const;
    // bob's row has the same events on i2, so the same r.
    const history = historyFromInteractions(session, m.itemIndex, options);
    expect(history.map((h) => h.itemIndex)).toEqual([1]);
    expect(history[0]!.weight).toBeCloseTo(dense(m.byUser)[1]![1]!, 6); // the matrix stores float32
  });
});
