/**
 * The served-score reference of a version: how the ranker's scores of the items it puts
 * on top are distributed when it orders lists it was not trained on. The trainer builds
 * it from the ranker's validation lists (the top SERVED_TOP of each, by the ranker's own
 * order) and keeps it with the version (params.ranker_report.served_scores); the drift
 * check bins the scores the edge served for that version on the same edges and compares
 * the two by PSI (psi.ts). A shift means the ranker now sees inputs unlike those it was
 * validated on (new users, a changed catalog, a broken feature), even when the inputs
 * the event drift watches look the same.
 */
import { binOf, quantileEdges } from "./psi.js";

/** Items per list that count: a list's head, what users see first. */
export const SERVED_TOP = 10;
const BINS = 10;

export interface ScoreReference {
  /** Inner bin edges (binOf): at the reference scores' deciles, repeats merged. */
  edges: number[];
  /** Reference scores per bin (edges.length + 1 bins). */
  counts: number[];
  /** Validation lists it was taken from. */
  lists: number;
}

/**
 * @param scores the ranker's score of every row
 * @param groups row offsets of each list (groups[q]..groups[q+1]), as in a ranking dataset
 * @returns null without lists to learn the distribution from
 */
export function scoreReference(scores: ArrayLike<number>, groups: ArrayLike<number>): ScoreReference | null {
  const head: number[] = [];
  for (let q = 0; q + 1 < groups.length; q++) {
    const list = Array.from({ length: groups[q + 1]! - groups[q]! }, (_, i) => scores[groups[q]! + i]!);
    head.push(...list.sort((a, b) => b - a).slice(0, SERVED_TOP));
  }
  if (head.length === 0) return null;
  const distinct = [...new Set(head)].sort((a, b) => a - b);
  // Each edge moves up to halfway to the next score seen: a ranker's scores repeat (a
  // tree ensemble has finitely many outputs), and a repeated score sitting on an edge
  // would jump bins over float rounding alone (served scores travel as float32, 6 decimals).
  const edges = quantileEdges(
    head,
    head.map(() => 1),
    BINS,
  ).map((e) => (e + distinct[distinct.findIndex((d) => d > e)]!) / 2);
  return { edges, counts: binCounts(head, edges), lists: groups.length - 1 };
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
