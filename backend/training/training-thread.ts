/**
 * The training thread: builds one candidate (train-candidate.ts buildCandidate) from the
 * job in workerData and posts progress, then the candidate with its byte buffers
 * transferred, or the error. Started by training-thread-client.ts through ../thread-boot.mjs.
 */
import { parentPort, workerData } from "node:worker_threads";
import { describeError } from "../describe-error.js";
import { buildCandidate, type CandidateJob } from "./train-candidate.js";
import type { ThreadMessage } from "./training-thread-client.js";

const port = parentPort!;
const post = (m: ThreadMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const { job } = workerData as { job: CandidateJob };

try {
  const candidate = await buildCandidate(job, (fraction, message) => post({ kind: "progress", fraction, message }), new AbortController().signal);
  const buffers = new Set<ArrayBuffer>();
  for (const a of candidate.artifacts) if (a.bytes.buffer instanceof ArrayBuffer) buffers.add(a.bytes.buffer);
  if (candidate.vectors?.values.buffer instanceof ArrayBuffer) buffers.add(candidate.vectors.values.buffer);
  post({ kind: "done", candidate }, [...buffers]);
} catch (error) {
  post({ kind: "failed", error: describeError(error) });
}
