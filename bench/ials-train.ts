/**
 * iALS training benchmark: builds the interaction matrix from synthetic interactions
 * and fits iALS (backend/training/ials.ts), printing build time, per-iteration time,
 * total time and the loss.
 *
 *   npx tsx bench/ials-train.ts [--interactions 1000000 --users 50000 --items 20000
 *                                --factors 64 --iterations 15 --cg-steps 3 --seed 1]
 *
 * Data (seeded, so runs are comparable): item popularity follows a Zipf law (exponent
 * 0.9), as real catalogues do, so a few items carry a large share of the rows and the
 * item half-step is unbalanced the way it is in production. Users belong to one of 50
 * taste segments and draw 70% of their interactions from their segment's items (so
 * there is structure to fit and the loss means something), the rest from the whole
 * catalogue. Event types are mostly views with some clicks, carts and purchases.
 * No network, no database: it measures the training code alone.
 */
import type { EventType } from "../models/events.js";
import { fitIals } from "../backend/training/ials.js";
import { buildInteractionMatrix, type Interaction } from "../backend/training/interaction-matrix.js";
import { Rng } from "../backend/training/random.js";
import { argNumber, printTable } from "./load-stats.js";

const interactions = argNumber("interactions", 1_000_000);
const users = argNumber("users", 50_000);
const items = argNumber("items", 20_000);
const factors = argNumber("factors", 64);
const iterations = argNumber("iterations", 15);
const cgSteps = argNumber("cg-steps", 3);
const seed = argNumber("seed", 1);
const SEGMENTS = 50;

/** Cumulative Zipf(s) weights over ranks 0..n-1, for inverse-CDF sampling. */
function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / (k + 1) ** s;
  for (let k = 0; k < n; k++) cdf[k]! /= total;
  return cdf;
}

function sampleCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const TYPE_CDF: [number, EventType][] = [
  [0.7, "view"],
  [0.88, "click"],
  [0.94, "add_to_cart"],
  [0.97, "wishlist"],
  [1, "purchase"],
];

function eventType(u: number): EventType {
  for (const [p, type] of TYPE_CDF) if (u < p) return type;
  return "view";
}

function synthetic(): Interaction[] {
  const rng = new Rng(seed);
  const global = zipfCdf(items, 0.9);
  const perSegment = Math.floor(items / SEGMENTS);
  const local = zipfCdf(perSegment, 0.9);
  // A random permutation decouples popularity rank from segment membership.
  const perm = Int32Array.from({ length: items }, (_, i) => i);
  for (let i = items - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const out: Interaction[] = new Array(interactions);
  for (let k = 0; k < interactions; k++) {
    const user = rng.int(users);
    const segment = user % SEGMENTS;
    const item = rng.next() < 0.7 ? perm[segment * perSegment + sampleCdf(local, rng.next())]! : perm[sampleCdf(global, rng.next())]!;
    out[k] = { user_id: `u${user}`, item_id: `i${item}`, type: eventType(rng.next()) };
  }
  return out;
}

function main(): void {
  let t = performance.now();
  const data = synthetic();
  const generateSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const matrix = buildInteractionMatrix(data, { scaling: { kind: "log", epsilon: 1 } });
  const buildSeconds = (performance.now() - t) / 1000;
  console.log(
    `matrix: ${matrix.byUser.rows} users × ${matrix.byUser.cols} items, ${matrix.byUser.indices.length} non-zero cells ` +
      `(from ${interactions} interactions); factors ${factors}, CG steps ${cgSteps}`,
  );
  t = performance.now();
  const model = fitIals(matrix, { factors, iterations, regularization: 0.05, alpha: 10, cgSteps, seed }, (p) => {
    const total = p.userSeconds + p.itemSeconds + p.lossSeconds;
    console.log(
      `  iteration ${String(p.iteration).padStart(2)}  ${total.toFixed(2)} s ` +
        `(users ${p.userSeconds.toFixed(2)} s, items ${p.itemSeconds.toFixed(2)} s, loss ${p.lossSeconds.toFixed(2)} s)  loss ${p.loss?.toExponential(6)}`,
    );
  });
  const trainSeconds = (performance.now() - t) / 1000;
  printTable("iALS training", {
    "generate data": `${generateSeconds.toFixed(2)} s`,
    "build matrix": `${buildSeconds.toFixed(2)} s`,
    train: `${trainSeconds.toFixed(2)} s (${(trainSeconds / iterations).toFixed(2)} s / iteration)`,
    "build + train": `${(buildSeconds + trainSeconds).toFixed(2)} s`,
    "final loss": model.loss.at(-1)?.toExponential(6) ?? "n/a",
  });
}

main();
