// Entry of a worker thread that runs TypeScript: registers tsx's loader in this thread
// (loader flags of the parent do not reach a worker on every Node version), then
// imports the module named in workerData.entry.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
