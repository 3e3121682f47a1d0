import { describe, expect, it } from "vitest";
import { decayedValue, epochLengthMs, epochOf, forwardIncrement, liveEpochs, mergeEpochLists } from "./forward-decay.js";

const H = 3600_000;

describe("forward decay", () => {
  it("an epoch spans 64 half-lives", () => {
    expect(epochLengthMs("1h")).toBe(64 * H);
    expect(epochOf("1h", 64 * H * 5 + 1)).toBe(5);
  });

  it("adds w·2^((t−L)/h) and decays back to w·2^(−age/h)", () => {
    const L = 64 * H * 10;
    const inc = forwardIncrement("1h", 3, L + 2 * H, L + 2 * H);
    expect(inc).toEqual({ epoch: 10, increment: 12 }); // 3 · 2^2
    // One hour after the event the weight has halved: 3 · 2^-1.
    expect(decayedValue("1h", 10, 12, L + 3 * H)).toBeCloseTo(1.5, 12);
  });

  it("ignores zero weights and events two epochs back", () => {
    const now = 64 * H * 10;
    expect(forwardIncrement("1h", 0, now, now)).toBeNull();
    expect(forwardIncrement("1h", 1, now - 64 * H - 1, now)).toBeNull();
    expect(forwardIncrement("1h", 1, now - 1, now)?.epoch).toBe(9);
  });

  it("merges the previous epoch on the same scale as the current one", () => {
    const L = 64 * H * 10;
    const now = L + H;
    // Item a: one event at L - H (previous epoch, stored as 2^63); item b: one event at L (stored as 1).
    const merged = mergeEpochLists(
      "1h",
      now,
      [
        { epoch: 10, entries: [["b", 1]] },
        {
          epoch: 9,
          entries: [
            ["a", 2 ** 63],
            ["b", 0],
          ],
        },
      ],
      10,
    );
    expect(merged[0]![0]).toBe("b");
    expect(merged[0]![1]).toBeCloseTo(0.5, 12); // one hour old
    expect(merged[1]![1]).toBeCloseTo(0.25, 12); // two hours old
    expect(liveEpochs("1h", now)).toEqual([10, 9]);
  });
});
