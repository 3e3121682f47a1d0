import { describe, expect, it, vi } from "vitest";
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

  it("starts no timer when disabled (0 minutes), and an enabled one evaluates every interval until stopped", async () => {
    vi.useFakeTimers();
    try {
      let disabledCalls = 0;
      const disabled = createCanaryScheduler({ evaluate: async () => (disabledCalls++, []), intervalMinutes: 0 });
      disabled.start();
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(24 * 60 * 60_000);
      expect(disabledCalls).toBe(0);

      let calls = 0;
      const enabled = createCanaryScheduler({ evaluate: async () => (calls++, []), intervalMinutes: 10 });
      enabled.start();
      enabled.start(); // a second start must not add a second timer
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(30 * 60_000);
      expect(calls).toBe(3);
      enabled.stop();
      await vi.advanceTimersByTimeAsync(30 * 60_000);
      expect(calls).toBe(3);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
