/**
 * Runs buildCandidate in a worker thread, so minutes of fitting never block the
 * backend's event loop (health checks, ingest, the training status itself keep
 * answering). The job is structured-cloned into the thread; the candidate's buffers come
 * back transferred, not copied. Aborting terminates the thread at once.
 */
import { Worker } from "node:worker_threads";
import type { TrainedCandidate } from "../training-jobs/types.js";
import type { CandidateJob } from "./train-candidate.js";

export type ThreadMessage =
  | { kind: "progress"; fraction: number; message: string }
  | { kind: "done"; candidate: TrainedCandidate }
  | { kind: "failed"; error: string };

const BOOT = new URL("../thread-boot.mjs", import.meta.url);
const ENTRY = new URL(import.meta.url.endsWith(".ts") ? "./training-thread.ts" : "./training-thread.js", import.meta.url);

export function buildInThread(job: CandidateJob, progress: (fraction: number, message: string) => void, signal: AbortSignal): Promise<TrainedCandidate> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOT, { workerData: { entry: ENTRY.href, job } });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      fn();
    };
    const onAbort = () => {
      settle(() => reject(new Error("training cancelled (shutdown)")));
      void worker.terminate();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (m: ThreadMessage) => {
      if (m.kind === "progress") progress(m.fraction, m.message);
      else {
        settle(() => (m.kind === "done" ? resolve(m.candidate) : reject(new Error(m.error))));
        void worker.terminate();
      }
    });
    worker.on("error", (error) => settle(() => reject(error)));
    worker.on("exit", (code) => settle(() => reject(new Error(`the training thread exited (code ${code}) before it finished`))));
  });
}
