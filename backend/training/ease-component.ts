/**
 * EASE as a retrieval component of a model version: fitted on the positive
 * interactions of the log (binary: a touched item is 1), pruned to the table the edge
 * serves (models/item-weights.ts), and scored here exactly as the edge scores it, so the
 * trainer's validation and the offline evaluation measure the served arithmetic.
 * Algorithm and limits: ease.ts.
 */
import { retrieveItems, type ItemRetrieval, type ItemWeights } from "../../models/item-weights.js";
import type { HistoryEvent } from "../../models/feature-spec.js";
import type { Interaction } from "../evaluation/interactions.js";
import { fitEase, pruneEase, type EaseModel } from "./ease.js";

/** One EASE setting: λ, the dropout emphasis p of the regulariser (ease.ts) and the weights kept per item. */
export interface EaseSetting {
  lambda: number;
  dropout: number;
  keep: number;
}

export interface EaseParams {
  /** (λ, dropout) pairs fitted on the validation split; each is pruned to every `keeps`. */
  grid: Array<{ lambda: number; dropout: number }>;
  /** Weights kept per item (pruneEase) tried for each fit; pruning is cheap next to the inverse. */
  keeps: number[];
  /** Above this many items EASE is not fitted (dense n×n inverse). */
  maxItems: number;
}

/**
 * λ around the paper's optima, the two smaller ones also with the dropout emphasis;
 * pruning to 50 or 100 weights, which on held-out items scores as well as keeping more,
 * or better (Online Retail validation hold-out: λ 100 keep 400 0.1776, keep 100 0.1786,
 * keep 50 0.1800; λ 50 with p = 0.25, keep 50: 0.1815).
 */
export const DEFAULT_EASE: EaseParams = {
  grid: [
    { lambda: 50, dropout: 0 },
    { lambda: 100, dropout: 0 },
    { lambda: 200, dropout: 0 },
    { lambda: 400, dropout: 0 },
    { lambda: 50, dropout: 0.25 },
    { lambda: 100, dropout: 0.25 },
  ],
  keeps: [50, 100],
  maxItems: 6_000,
};

export interface EaseComponent {
  lambda: number;
  dropout: number;
  /** Item ids in row order of the table (sorted). */
  itemIds: string[];
  itemIndex: Map<string, number>;
  table: ItemWeights;
}

export function positiveItemCount(log: readonly Interaction[]): number {
  return new Set(log.filter((e) => e.weight > 0).map((e) => e.item_id)).size;
}

/** EASE's binary X: items in sorted id order, and each user's distinct positive items as row indices. */
export function binaryUserItems(log: readonly Interaction[]): { itemIds: string[]; itemIndex: Map<string, number>; rows: Int32Array[] } {
  const positives = log.filter((e) => e.weight > 0);
  const itemIds = [...new Set(positives.map((e) => e.item_id))].sort();
  const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  const byUser = new Map<string, Set<number>>();
  for (const e of positives) {
    let set = byUser.get(e.user_id);
    if (!set) byUser.set(e.user_id, (set = new Set()));
    set.add(itemIndex.get(e.item_id)!);
  }
  return { itemIds, itemIndex, rows: [...byUser.values()].map((s) => Int32Array.from(s)) };
}

/** The dense B of one (λ, dropout), with its item order; prune it with `componentOf`. */
export interface DenseEase {
  lambda: number;
  dropout: number;
  itemIds: string[];
  itemIndex: Map<string, number>;
  model: EaseModel;
}

export function fitDenseEase(log: readonly Interaction[], lambda: number, dropout: number): DenseEase {
  const { itemIds, itemIndex, rows } = binaryUserItems(log);
  if (itemIds.length === 0) throw new RangeError("no positive interactions to train EASE on");
  return { lambda, dropout, itemIds, itemIndex, model: fitEase(rows, itemIds.length, lambda, dropout) };
}

export function componentOf(dense: DenseEase, keep: number): EaseComponent {
  return { lambda: dense.lambda, dropout: dense.dropout, itemIds: dense.itemIds, itemIndex: dense.itemIndex, table: pruneEase(dense.model, keep) };
}

export function fitEaseComponent(log: readonly Interaction[], setting: EaseSetting): EaseComponent {
  return componentOf(fitDenseEase(log, setting.lambda, setting.dropout), setting.keep);
}

/** Scores every item the history reaches, as the edge does; null when the history has no known item. */
export function easeRetrieve(c: EaseComponent, history: readonly HistoryEvent[], k: number, exclude: ReadonlySet<string>): ItemRetrieval | null {
  return retrieveItems(c.table, c.itemIds, c.itemIndex, history, k, exclude);
}
