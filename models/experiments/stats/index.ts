/** Experiment statistics, pure and I/O-free, shared by the backend and the edge. */
export * from "./normal.js";
export * from "./chi-square.js";
export * from "./proportions.js";
export * from "./msprt.js";
export * from "./srm.js";
export * from "./verdict.js";
export * from "./delta-method.js";
export * from "./guardrails.js";
