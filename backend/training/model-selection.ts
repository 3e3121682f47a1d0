/**
 * Model selection for a version: which retrieval model feeds the candidates (iALS with
 * its factors, λ, ν and α, or EASE with its λ, dropout emphasis and pruning) and what orders them (the LambdaMART ranker, the fallback
 * formula, or the retrieval score itself), chosen by NDCG@10 on a validation split
 * carved from the training log — never from any test data.
 *
 * The validation split is a random per-user hold-out (random-split.ts: 75% of each
 * user's distinct items train, 25% are held out), i.e. "which items that this user
 * likes are missing from their list". A temporal cut inside the log was tried for this
 * and rejected: on Online Retail it ranks EASE's λ in the opposite order from any
 * held-out test (λ = 800 best on the temporal cut, 50–100 on held-out items), because
 * a short future window rewards whatever is popular in it. The ranker keeps its own
 * temporal training lists (pipeline.ts); here it is only judged, next to the simpler
 * orderings, on the same hold-out, so it ships only when it beats them.
 *
 * Every variant is scored with the very code that serves it (rankForUser: candidates,
 * features, ordering), on the same sample of validation users.
 */
import type { CatalogItem } from "../../models/catalog.js";
import type { Ordering } from "../../models/candidates.js";
import type { Interaction } from "../evaluation/interactions.js";
import { ndcgAtK } from "../evaluation/metrics.js";
import { randomSplit } from "../evaluation/random-split.js";
import type { TestUser } from "../evaluation/temporal-split.js";
import { componentOf, easeRetrieve, fitDenseEase, positiveItemCount, type EaseComponent, type EaseSetting } from "./ease-component.js";
import { allScores, fitRetrieval, foldIn, topByScore, type RetrievalModel } from "./retrieval-model.js";
import {
  fitComponents,
  fitRanker,
  historiesByUser,
  ialsSettingOf,
  rankForUser,
  withFactors,
  withIals,
  type IalsSetting,
  type PipelineModel,
  type PipelineParams,
  type PipelineProgress,
  type Scorer,
  type SelectionReport,
} from "./pipeline.js";
import { compileEnsemble } from "./lambdamart.js";
import { popularityAt } from "./popularity-snapshot.js";
import { Rng } from "./random.js";

/** Fewer validation users than this say too little to choose on: keep the defaults. */
const MIN_VALIDATION_USERS = 20;

function sample(users: readonly TestUser[], n: number, seed: number): TestUser[] {
  return new Rng(seed).shuffle([...users]).slice(0, n);
}

function settingOf(c: EaseComponent): EaseSetting {
  return { lambda: c.lambda, dropout: c.dropout, keep: c.table.keep };
}

function meanNdcg(users: readonly TestUser[], list: (u: TestUser) => string[]): number {
  if (users.length === 0) return 0;
  return users.reduce((s, u) => s + ndcgAtK(list(u), new Set(u.relevant), 10), 0) / users.length;
}

function chooseEase(
  train: readonly Interaction[],
  users: readonly TestUser[],
  params: PipelineParams,
  progress: PipelineProgress,
): { best: EaseComponent | null; scores: Array<EaseSetting & { ndcg: number }> } {
  const ease = params.ease;
  if (!ease || positiveItemCount(train) > ease.maxItems) return { best: null, scores: [] };
  const histories = historiesByUser(train);
  const scores: Array<EaseSetting & { ndcg: number }> = [];
  let best: EaseComponent | null = null;
  let bestNdcg = -Infinity;
  for (const [i, { lambda, dropout }] of ease.grid.entries()) {
    progress("selection", i / (ease.grid.length + 2), `EASE λ=${lambda}, dropout ${dropout} on the validation hold-out`);
    const dense = fitDenseEase(train, lambda, dropout);
    for (const keep of ease.keeps) {
      const c = componentOf(dense, keep);
      const ndcg = meanNdcg(users, (u) => (easeRetrieve(c, histories.get(u.user_id) ?? [], 10, new Set(u.seen))?.top ?? []).map(([id]) => id));
      scores.push({ lambda, dropout, keep, ndcg });
      if (ndcg > bestNdcg) [best, bestNdcg] = [c, ndcg];
    }
  }
  return { best, scores };
}

type Histories = ReturnType<typeof historiesByUser>;

/**
 * iALS alone per setting, by its own retrieval list (fold-in from the user's training
 * items, as the edge folds in): `untuned` (the factors the ranker's split chose, the
 * default λ) and then each grid setting, so tuning never picks worse than not tuning.
 * Each grid fit costs what a version's iALS costs.
 */
function chooseIals(
  train: readonly Interaction[],
  users: readonly TestUser[],
  histories: Histories,
  params: PipelineParams,
  untuned: RetrievalModel,
  progress: (i: number, message: string) => void,
): { best: { setting: IalsSetting; model: RetrievalModel }; scores: Array<IalsSetting & { ndcg: number }> } {
  const scores: Array<IalsSetting & { ndcg: number }> = [];
  let best = { setting: ialsSettingOf(untuned.params.ials), model: untuned };
  let bestNdcg = -Infinity;
  const settings = [best.setting, ...params.ialsGrid];
  for (const [i, setting] of settings.entries()) {
    const { factors, regularization, exponent, alpha } = setting;
    progress(i, `iALS f=${factors}, λ=${regularization}, ν=${exponent}, α=${alpha} on the validation hold-out`);
    const model = i === 0 ? untuned : fitRetrieval(train, withIals(params, setting).retrieval);
    const ndcg = meanNdcg(users, (u) => {
      const vector = foldIn(model, histories.get(u.user_id) ?? []);
      return vector ? topByScore(model, allScores(model, vector), 10, new Set(u.seen)).map(([id]) => id) : [];
    });
    scores.push({ ...setting, ndcg });
    if (ndcg > bestNdcg) [best, bestNdcg] = [{ setting, model }, ndcg];
  }
  return { best, scores };
}

/**
 * The chosen scorer and ordering with the figures behind the choice, or null when the
 * log is too small to hold out anything useful.
 */
export function selectModel(
  log: readonly Interaction[],
  catalog: readonly CatalogItem[],
  params: PipelineParams,
  progress: PipelineProgress,
): SelectionReport | null {
  const sel = params.selection;
  if (!sel) return null;
  const split = randomSplit(log, { seed: sel.seed });
  if (split.warm.length < MIN_VALIDATION_USERS) return null;
  const users = sample(split.warm, sel.users, sel.seed);
  const train = split.train;

  const lambdas = chooseEase(train, users, params, progress);
  const easeSteps = params.ease?.grid.length ?? 0;
  const steps = easeSteps + params.ialsGrid.length + 3;
  progress("selection", easeSteps / steps, "ranker and iALS on the validation hold-out");
  const fitted = params.ranker ? fitRanker(train, catalog, params, () => {}) : null;
  const factors = fitted?.factors ?? params.retrieval.ials.factors;
  const base = fitComponents(train, catalog, withFactors(params, factors));
  const histories = historiesByUser(train);
  const tuned = chooseIals(train, users, histories, params, base.retrieval, (i, m) => progress("selection", (easeSteps + 1 + i) / steps, m));
  const now = train.reduce((m, e) => Math.max(m, e.ts), -Infinity) + 1;
  const popularity = popularityAt(train, now);
  // The ranker learned its features on base's iALS; without it, iALS serves as tuned.
  const tunedBase = { ...base, retrieval: tuned.best.model };

  const scorers: Scorer[] = lambdas.best ? ["ials", "ease"] : ["ials"];
  const orderings: Ordering[] = fitted?.ranker ? ["formula", "retrieval", "ranker"] : ["formula", "retrieval"];
  const compiled = fitted?.ranker ? compileEnsemble(fitted.ranker) : null;
  const variants: SelectionReport["variants"] = [];
  progress("selection", (steps - 1) / steps, `${scorers.length * orderings.length} scorer × ordering variants on ${users.length} users`);
  for (const scorer of scorers) {
    for (const ordering of orderings) {
      const model: PipelineModel = {
        ...(scorer === "ials" && ordering !== "ranker" ? tunedBase : base),
        ease: scorer === "ease" ? lambdas.best : null,
        scorer,
        params,
        ranker: ordering === "ranker" ? fitted!.ranker : null,
        compiled: ordering === "ranker" ? compiled : null,
        ordering,
        rankerReport: null,
        selection: null,
        trainedUntil: now - 1,
      };
      const ndcg = meanNdcg(users, (u) =>
        rankForUser(model, { history: histories.get(u.user_id) ?? [], now, context: null, popularity, exclude: new Set(u.seen) })
          .slice(0, 10)
          .map((r) => r.item_id),
      );
      variants.push({ scorer, ordering, ndcg });
    }
  }
  // Ties go to the earlier, simpler variant (iALS before EASE, formula before ranker).
  const best = variants.reduce((a, b) => (b.ndcg > a.ndcg ? b : a));
  const ials = best.scorer === "ials" && best.ordering !== "ranker" ? tuned.best.setting : ialsSettingOf(base.retrieval.params.ials);
  return {
    users: users.length,
    easeGrid: lambdas.scores,
    ialsGrid: tuned.scores,
    variants,
    chosen: {
      scorer: best.scorer,
      ordering: best.ordering,
      ease: best.scorer === "ease" ? settingOf(lambdas.best!) : null,
      factors: ials.factors,
      ials: { regularization: ials.regularization, exponent: ials.exponent, alpha: ials.alpha },
    },
  };
}
