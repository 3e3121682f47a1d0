/**
 * Top-K ranking metrics for implicit-feedback recommendation, binary relevance.
 *
 * Notation: L = the recommended list (best first), L_K = its first K positions,
 * R = the set of relevant (held-out) items, rel(p) = 1 if the item at 1-based position p
 * is in R and has not already appeared earlier in L, else 0.
 *
 *   Recall@K   = Σ_{p≤K} rel(p) / |R|
 *   Precision@K = Σ_{p≤K} rel(p) / K
 *   HitRate@K  = 1 if Σ_{p≤K} rel(p) > 0 else 0
 *   DCG@K      = Σ_{p≤K} rel(p) / log2(p + 1)
 *   IDCG@K     = Σ_{p=1}^{min(K,|R|)} 1 / log2(p + 1)
 *   NDCG@K     = DCG@K / IDCG@K
 *       Järvelin & Kekäläinen, "Cumulated gain-based evaluation of IR techniques",
 *       ACM TOIS 20(4), 2002 (log2 discount with the p+1 offset as in Burges et al. 2005,
 *       so position 1 is undiscounted).
 *   AP@K       = (1 / min(K,|R|)) · Σ_{p≤K} rel(p) · Precision@p,
 *                Precision@p = Σ_{q≤p} rel(q) / p
 *   MAP@K      = mean of AP@K over users
 *       Average precision: Buckley & Voorhees, "Evaluating evaluation measure stability",
 *       SIGIR 2000; the min(K,|R|) normaliser is the truncated form used by Kaggle's and
 *       CRAN Metrics' apk, so a perfect top-K list scores 1 even when |R| > K.
 *   Coverage   = |∪_u L_K(u) ∩ C| / |C| for catalog C
 *       ("catalog coverage", Ge, Delgado-Battenfeld & Jannach, "Beyond accuracy",
 *       RecSys 2010).
 *
 * Choices, so numbers are comparable across runs:
 * - A repeated item in L counts once (its first position); later copies occupy a slot
 *   but earn nothing, so padding a list with duplicates can never raise a score.
 * - A list shorter than K is not padded and not forgiven: the denominators still use K.
 * - With R empty every metric is undefined; these return 0 so an accidental inclusion
 *   lowers a mean visibly instead of turning it into NaN. `evaluate` never includes such
 *   users.
 */

export type Relevant = ReadonlySet<string> | readonly string[];

function toSet(relevant: Relevant): ReadonlySet<string> {
  return relevant instanceof Set ? relevant : new Set(relevant as readonly string[]);
}

export function assertK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`K must be a positive integer, got ${k}`);
}

/** 1-based positions within the top K where a relevant item appears for the first time. */
export function hitPositions(recommended: readonly string[], relevant: ReadonlySet<string>, k: number): number[] {
  assertK(k);
  const seen = new Set<string>();
  const hits: number[] = [];
  const n = Math.min(k, recommended.length);
  for (let i = 0; i < n; i++) {
    const item = recommended[i]!;
    if (seen.has(item)) continue;
    seen.add(item);
    if (relevant.has(item)) hits.push(i + 1);
  }
  return hits;
}

const discount = (position: number): number => 1 / Math.log2(position + 1);

export function recallAtK(recommended: readonly string[], relevant: Relevant, k: number): number {
  assertK(k);
  const rel = toSet(relevant);
  if (rel.size === 0) return 0;
  return hitPositions(recommended, rel, k).length / rel.size;
}

export function precisionAtK(recommended: readonly string[], relevant: Relevant, k: number): number {
  assertK(k);
  return hitPositions(recommended, toSet(relevant), k).length / k;
}

export function hitRateAtK(recommended: readonly string[], relevant: Relevant, k: number): number {
  return hitPositions(recommended, toSet(relevant), k).length > 0 ? 1 : 0;
}

/** Σ_{p=1}^{n} 1/log2(p+1): the DCG of n relevant items in the first n positions. */
export function idealDcg(n: number): number {
  let sum = 0;
  for (let p = 1; p <= n; p++) sum += discount(p);
  return sum;
}

export function ndcgAtK(recommended: readonly string[], relevant: Relevant, k: number): number {
  assertK(k);
  const rel = toSet(relevant);
  if (rel.size === 0) return 0;
  const dcg = hitPositions(recommended, rel, k).reduce((s, p) => s + discount(p), 0);
  return dcg / idealDcg(Math.min(k, rel.size));
}

export function averagePrecisionAtK(recommended: readonly string[], relevant: Relevant, k: number): number {
  assertK(k);
  const rel = toSet(relevant);
  if (rel.size === 0) return 0;
  // The j-th hit (1-based) at position p has Precision@p = j / p.
  const sum = hitPositions(recommended, rel, k).reduce((s, p, j) => s + (j + 1) / p, 0);
  return sum / Math.min(k, rel.size);
}

/** Mean AP@K over users; lists and relevant sets are aligned by index. */
export function mapAtK(lists: readonly (readonly string[])[], relevant: readonly Relevant[], k: number): number {
  if (lists.length !== relevant.length) throw new RangeError("lists and relevant must have the same length");
  if (lists.length === 0) return NaN;
  return lists.reduce((s, l, u) => s + averagePrecisionAtK(l, relevant[u]!, k), 0) / lists.length;
}

/** Share of the catalog that appears in at least one user's top K; items outside it are ignored. */
export function catalogCoverage(lists: readonly (readonly string[])[], catalog: ReadonlySet<string>, k: number): number {
  assertK(k);
  if (catalog.size === 0) return 0;
  const shown = new Set<string>();
  for (const list of lists) {
    const n = Math.min(k, list.length);
    for (let i = 0; i < n; i++) if (catalog.has(list[i]!)) shown.add(list[i]!);
  }
  return shown.size / catalog.size;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((s, v) => s + v, 0) / values.length;
}
