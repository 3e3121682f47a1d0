import { describe, expect, it } from "vitest";
import { deferred } from "../test-support/training-stand-ins.js";
import type { CanaryEvaluation } from "./canary.js";
import { createCanaryScheduler } from "./canary-scheduler.js";

describe("createCanaryScheduler", () => {
  it("skips a tick while the previous check is still running", async () => {
    const gate = deferred<CanaryEvaluation[]>();
    let calls = 0;
    const scheduler = createCanaryScheduler({ evaluate: () => (calls++, gate.promise), intervalMinutes: 10 });
    const first = scheduler.tick();
    expect(await scheduler.tick()).toBeNull();
    gate.resolve([]);
    expect(await first).toEqual([]);
    expect(calls).toBe(1);
  });

  it("starts no timer when disabled (0 minutes)", () => {
    const scheduler = createCanaryScheduler({ evaluate: async () => [], intervalMinutes: 0 });
    scheduler.start();
    scheduler.stop();
  });
});
