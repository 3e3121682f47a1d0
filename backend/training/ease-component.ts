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
import { fitEase, pruneEase } from "./ease.js";

export interface EaseParams {
  /** λ values tried on the validation split; the best is published. */
  lambdas: number[];
  /** Weights kept per item (pruneEase). */
  keep: number;
  /** Above this many items EASE is not fitted (dense n×n inverse). */
  maxItems: number;
}

/** λ grid around the paper's optima; keep 100 measured on Online Retail (ease.ts). */
export const DEFAULT_EASE: EaseParams = { lambdas: [50, 100, 200, 400], keep: 100, maxItems: 6_000 };

export interface EaseComponent {
  lambda: number;
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

export function fitEaseComponent(log: readonly Interaction[], lambda: number, keep: number): EaseComponent {
  const { itemIds, itemIndex, rows } = binaryUserItems(log);
  if (itemIds.length === 0) throw new RangeError("no positive interactions to train EASE on");
  return { lambda, itemIds, itemIndex, table: pruneEase(fitEase(rows, itemIds.length, lambda), keep) };
}

/** Scores every item the history reaches, as the edge does; null when the history has no known item. */
export function easeRetrieve(c: EaseComponent, history: readonly HistoryEvent[], k: number, exclude: ReadonlySet<string>): ItemRetrieval | null {
  return retrieveItems(c.table, c.itemIds, c.itemIndex, history, k, exclude);
}
