/**
 * The serving references of a version: how the ranker's scores of the items it puts on
 * top, and each ranking feature of those items, are distributed over the lists it would
 * serve. The trainer builds them by replaying serving on its own window (the head,
 * SERVED_HEAD items, of each sampled user's list; backend/training/pipeline.ts
 * servingReference) and keeps them with the version (params.ranker_report.servedScores
 * and .servedFeatures); the drift check bins what the edge served for that version on
 * the same edges and compares the two by PSI (psi.ts). A score shift means the ranker
 * now sees users or items unlike those of its window, even when the inputs the event
 * drift watches look the same; a feature's shift says which input moved (a broken
 * feature shows in its own row).
 */
import { SERVED_HEAD } from "../../models/events.js";
import { binOf, quantileEdges } from "./psi.js";

const BINS = 10;

export interface ScoreReference {
  /** Inner bin edges (binOf): at the reference scores' deciles, repeats merged. */
  edges: number[];
  /** Reference scores per bin (edges.length + 1 bins). */
  counts: number[];
  /** Lists it was taken from. */
  lists: number;
}

/** One ranking feature's reference; the array of them is in the feature spec's column order. */
export type FeatureReference = ScoreReference & { feature: string };

/**
 * @param scores the ranker's score of every row
 * @param groups row offsets of each list (groups[q]..groups[q+1]), as in a ranking dataset
 * @returns null without lists to learn the distribution from
 */
export function scoreReference(scores: ArrayLike<number>, groups: ArrayLike<number>): ScoreReference | null {
  const head = headRows(scores, groups);
  return head.length === 0
    ? null
    : referenceOf(
        head.map((r) => scores[r]!),
        groups.length - 1,
      );
}

/**
 * The same reference for each ranking feature, over the same head rows: what the ranker
 * saw of the items it put on top. `features` is row-major [rows, names.length]; the
 * result keeps the columns' order, which is how the edge's logged rows are read (an
 * object's keys would not survive jsonb, which reorders them).
 */
export function featureReferences(
  features: ArrayLike<number>,
  names: readonly string[],
  scores: ArrayLike<number>,
  groups: ArrayLike<number>,
): FeatureReference[] {
  const head = headRows(scores, groups);
  if (head.length === 0) return [];
  const w = names.length;
  return names.map((feature, f) => ({
    feature,
    ...referenceOf(
      head.map((r) => features[r * w + f]!),
      groups.length - 1,
    ),
  }));
}

/** Rows of the first SERVED_HEAD of each list by score (ties by row), list by list. */
function headRows(scores: ArrayLike<number>, groups: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let q = 0; q + 1 < groups.length; q++) {
    const rows = Array.from({ length: groups[q + 1]! - groups[q]! }, (_, i) => groups[q]! + i);
    out.push(...rows.sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, SERVED_HEAD));
  }
  return out;
}

function referenceOf(values: readonly number[], lists: number): ScoreReference {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  // Each edge moves up to halfway to the next value seen: a ranker's scores repeat (a
  // tree ensemble has finitely many outputs), as do most features' values, and a repeated
  // value sitting on an edge would jump bins over float rounding alone (the edge logs
  // float32, scores to 6 decimals, features to 6 digits).
  const edges = quantileEdges(
    values,
    values.map(() => 1),
    BINS,
  ).map((e) => (e + distinct[distinct.findIndex((d) => d > e)]!) / 2);
  return { edges, counts: binCounts(values, edges), lists };
}

/** How many of `scores` (each standing for `weights[i]` scores, 1 without) fall in each bin of `edges`. */
export function binCounts(scores: readonly number[], edges: readonly number[], weights?: readonly number[]): number[] {
  const out = new Array<number>(edges.length + 1).fill(0);
  scores.forEach((s, i) => {
    const bin = binOf(s, edges);
    out[bin] = (out[bin] as number) + (weights ? (weights[i] as number) : 1);
  });
  return out;
}

/** "≤ a", "a – b", "> b" with scores shown to 3 significant digits. */
export function scoreBinLabels(edges: readonly number[]): string[] {
  const f = (x: number) => Number(x.toPrecision(3)).toString();
  if (edges.length === 0) return ["any"];
  return Array.from({ length: edges.length + 1 }, (_, i) => {
    if (i === 0) return `≤ ${f(edges[0]!)}`;
    if (i === edges.length) return `> ${f(edges[i - 1]!)}`;
    return `${f(edges[i - 1]!)} – ${f(edges[i]!)}`;
  });
}
