/**
 * r_ui, the strength iALS trains on, from a user's summed event weights on an item.
 * Shared because fold-in at the edge must apply exactly the transformation training did,
 * or the folded-in vector is off-scale. The manifest records which one a version used.
 */
export type StrengthScaling = { kind: "linear" } | { kind: "log"; epsilon: number };

export function interactionStrength(weightSum: number, scaling: StrengthScaling): number {
  if (weightSum <= 0) return 0;
  return scaling.kind === "log" ? Math.log1p(weightSum / scaling.epsilon) : weightSum;
}

/**
 * Fold-in input from raw history: weights summed per known item, scaled, non-positive
 * sums dropped; ordered by item row so equal histories give identical tensors.
 */
export function historyStrengths(
  history: ReadonlyArray<{ item_id: string; weight: number }>,
  itemIndex: ReadonlyMap<string, number>,
  scaling: StrengthScaling,
): Array<{ index: number; strength: number }> {
  const sums = new Map<number, number>();
  for (const e of history) {
    const index = itemIndex.get(e.item_id);
    if (index !== undefined) sums.set(index, (sums.get(index) ?? 0) + e.weight);
  }
  return [...sums]
    .filter(([, sum]) => sum > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([index, sum]) => ({ index, strength: interactionStrength(sum, scaling) }));
}
