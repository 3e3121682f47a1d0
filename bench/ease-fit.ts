/**
 * EASE training benchmark: fits EASE (backend/training/ease.ts) on synthetic binary
 * interactions over a catalog of `--items` items and prints the Gram build, the inverse
 * and the total time, with the memory the dense matrices take.
 *
 *   npx tsx bench/ease-fit.ts [--items 4000 --users 6000 --per-user 50 --lambda 200 --seed 1]
 *
 * The inverse does the same work whatever the data (n³/2 multiply-adds), so uniform
 * random histories measure it as well as real ones. No I/O: the training code alone.
 */
import { fitEase, regularisedItemGram } from "../backend/training/ease.js";
import { invertSpdInPlace } from "../backend/training/spd-inverse.js";
import { mulberry32 } from "../models/prng.js";
import { argNumber, printTable } from "./load-stats.js";

const items = argNumber("items", 4000);
const users = argNumber("users", 6000);
const perUser = argNumber("per-user", 50);
const lambda = argNumber("lambda", 200);
const rand = mulberry32(argNumber("seed", 1));

const rows = Array.from({ length: users }, () => {
  const set = new Set<number>();
  while (set.size < Math.min(perUser, items)) set.add(Math.floor(rand() ** 2 * items));
  return Int32Array.from(set);
});

let t = performance.now();
const gram = regularisedItemGram(rows, items, lambda);
const gramMs = performance.now() - t;
t = performance.now();
invertSpdInPlace(gram, items);
const inverseMs = performance.now() - t;
t = performance.now();
const model = fitEase(rows, items, lambda);
const fitMs = performance.now() - t;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
printTable(`EASE fit, ${items.toLocaleString("en-US")} items, ${users.toLocaleString("en-US")} users × ${perUser} items, λ = ${lambda}`, {
  "Gram XᵀX + λI": `${gramMs.toFixed(0)} ms`,
  "inverse (Cholesky, n³/2)": `${(inverseMs / 1000).toFixed(1)} s`,
  "whole fit (Gram + inverse + B)": `${(fitMs / 1000).toFixed(1)} s`,
  "memory: Float64 inverse + Float32 B": `${mib(gram.byteLength)} + ${mib(model.weights.byteLength)}`,
});
