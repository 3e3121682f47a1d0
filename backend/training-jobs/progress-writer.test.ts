import { describe, expect, it } from "vitest";
import { createProgressWriter } from "./progress-writer.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder(writeMs = 0) {
  const writes: Array<[number, string]> = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const write = async (p: number, m: string) => {
    concurrent += 1;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    await sleep(writeMs);
    writes.push([p, m]);
    concurrent -= 1;
  };
  return { writes, write, maxConcurrent: () => maxConcurrent };
}

describe("createProgressWriter", () => {
  it("turns a burst of reports into one write now and one trailing write of the latest", async () => {
    const r = recorder();
    const writer = createProgressWriter({ write: r.write, intervalMs: 50, onError: () => {} });
    for (let i = 1; i <= 1000; i++) writer.report(i / 1000, `step ${i}`);
    await sleep(120);
    expect(r.writes).toEqual([
      [0.001, "step 1"],
      [1, "step 1000"],
    ]);
    await writer.close();
    expect(r.writes).toHaveLength(2);
  });

  it("never overlaps writes, and close() writes the last report", async () => {
    const r = recorder(30);
    const writer = createProgressWriter({ write: r.write, intervalMs: 0, onError: () => {} });
    writer.report(0.1, "a");
    writer.report(0.2, "b");
    writer.report(0.3, "c");
    await writer.close();
    expect(r.maxConcurrent()).toBe(1);
    expect(r.writes.at(-1)).toEqual([0.3, "c"]);
    writer.report(0.9, "after close");
    await sleep(40);
    expect(r.writes.at(-1)).toEqual([0.3, "c"]);
  });

  it("clamps fractions to [0, 1] and keeps the last good one for NaN", async () => {
    const r = recorder();
    const writer = createProgressWriter({ write: r.write, intervalMs: 0, onError: () => {} });
    writer.report(1.5, "over");
    await writer.close();
    const again = createProgressWriter({ write: r.write, intervalMs: 0, onError: () => {} });
    again.report(0.4, "ok");
    again.report(Number.NaN, "nan");
    await again.close();
    expect(r.writes).toEqual([
      [1, "over"],
      [0.4, "ok"],
      [0.4, "nan"],
    ]);
  });

  it("reports a failed write to onError instead of throwing", async () => {
    const errors: unknown[] = [];
    const writer = createProgressWriter({ write: () => Promise.reject(new Error("db down")), intervalMs: 0, onError: (e) => errors.push(e) });
    writer.report(0.5, "x");
    await writer.close();
    expect(errors).toHaveLength(1);
  });
});
