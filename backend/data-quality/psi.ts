/**
 * Population stability index (PSI), the drift measure of credit scoring (Siddiqi,
 * "Credit Risk Scorecards", 2006) that ML monitoring tools (Evidently, NannyML) adopted:
 *
 *   PSI = Σ_bins (a_i − e_i) · ln(a_i / e_i)
 *
 * over the share e_i of the reference population and a_i of the current one in each bin.
 * It is the symmetrised Kullback–Leibler divergence of the two binned distributions.
 * The usual reading: below 0.1 stable, 0.1–0.25 a moderate shift, above 0.25 a major
 * one. An empty bin would make the logarithm infinite, so shares are floored at
 * EMPTY_BIN_SHARE (the convention of those tools) before the sum.
 *
 * Bins: for a number, edges at the reference's weighted deciles, so each reference bin
 * holds about a tenth of the events and the PSI reacts to a shift anywhere in the
 * range; for a category, one bin per value plus "other".
 */

export const EMPTY_BIN_SHARE = 1e-4;

/** PSI of two count vectors over the same bins (each normalised to shares). */
export function psi(reference: readonly number[], current: readonly number[]): number {
  if (reference.length !== current.length) throw new RangeError(`bins differ: ${reference.length} reference, ${current.length} current`);
  const e = shares(reference);
  const a = shares(current);
  let total = 0;
  for (let i = 0; i < e.length; i++) {
    const ei = Math.max(e[i] as number, EMPTY_BIN_SHARE);
    const ai = Math.max(a[i] as number, EMPTY_BIN_SHARE);
    total += (ai - ei) * Math.log(ai / ei);
  }
  return total;
}

export function shares(counts: readonly number[]): number[] {
  const sum = counts.reduce((s, c) => s + c, 0);
  return counts.map((c) => (sum === 0 ? 0 : c / sum));
}

/**
 * Up to `bins − 1` inner edges at the weighted quantiles of `values` (weights: how many
 * events each value stands for). Repeated edges are merged, so a feature with few
 * distinct values gets fewer bins rather than empty ones.
 */
export function quantileEdges(values: readonly number[], weights: readonly number[], bins = 10): number[] {
  const order = values.map((_, i) => i).sort((x, y) => (values[x] as number) - (values[y] as number));
  const total = weights.reduce((s, w) => s + w, 0);
  const edges: number[] = [];
  let seen = 0;
  let next = 1;
  for (const i of order) {
    seen += weights[i] as number;
    while (next < bins && seen >= (total * next) / bins) {
      const v = values[i] as number;
      if (edges.length === 0 || v > (edges[edges.length - 1] as number)) edges.push(v);
      next++;
    }
  }
  // The top value as an edge would leave the last bin for values above everything seen.
  const max = values.length > 0 ? Math.max(...values) : Number.NaN;
  return edges.filter((e) => e < max);
}

/** Bin of a value: i such that edges[i−1] < v ≤ edges[i] (the last bin: above every edge). */
export function binOf(value: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= (edges[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
