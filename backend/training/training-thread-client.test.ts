import { describe, expect, it } from "vitest";
import { sha256OfBytes } from "../../models/hash.js";
import { clusteredLog } from "../evaluation/synthetic.js";
import { DEFAULT_PIPELINE } from "./pipeline.js";
import type { CandidateJob } from "./train-candidate.js";
import { buildInThread } from "./training-thread-client.js";

function job(version: string): CandidateJob {
  const start = Date.UTC(2026, 10, 1);
  const interactions = clusteredLog({ seed: 3, clusters: 4, itemsPerCluster: 30, users: 400, eventsPerUser: 20 }).map((e) => ({
    ...e,
    ts: start + e.ts * 60_000,
  }));
  return { interactions, catalog: [], modelType: "pipeline", version, options: { params: { ...DEFAULT_PIPELINE, factorGrid: [16] } } };
}

describe("training in a worker thread", () => {
  it("builds the candidate off the main thread: the event loop keeps turning, the files arrive intact", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const progress: string[] = [];
    try {
      const candidate = await buildInThread(job("thread-v1"), (_f, m) => progress.push(m), new AbortController().signal);
      expect(candidate.version).toBe("thread-v1");
      expect(candidate.manifest.version).toBe("thread-v1");
      for (const a of candidate.artifacts) {
        expect(a.bytes).toBeInstanceOf(Uint8Array);
        expect(await sha256OfBytes(a.bytes)).toBe(a.sha256);
      }
      expect(candidate.userHistories?.size).toBe(400);
      expect(candidate.dataWindow.users).toBe(400);
    } finally {
      clearInterval(timer);
    }
    expect(progress.some((m) => m.startsWith("fitting pipeline"))).toBe(true);
    // Fitting on this thread would have frozen the 10 ms timer for the whole fit.
    expect(ticks).toBeGreaterThan(20);
  }, 120_000);

  it("rejects at once when aborted, and with the thread's own error when the fit fails", async () => {
    const abort = new AbortController();
    const running = buildInThread(job("thread-v2"), () => {}, abort.signal);
    setTimeout(() => abort.abort(), 200);
    await expect(running).rejects.toThrow("training cancelled (shutdown)");
    const empty: CandidateJob = { ...job("thread-v3"), interactions: [] };
    await expect(buildInThread(empty, () => {}, new AbortController().signal)).rejects.toThrow("cannot split an empty log");
  }, 120_000);
});
