/**
 * Business rules after scoring: never recommend what the user already consumed or
 * dismissed, what the caller excluded, what is unavailable, or what the catalog does not
 * hold (an item with events or model weights but no catalog record); honour a category
 * filter; and cap any one category's share of the list so it stays varied. Items held
 * back by the cap are used only when nothing else is left.
 */
import type { EdgeItemRecord } from "../../models/catalog.js";

export interface RuleInput {
  excluded: ReadonlySet<string>;
  records: ReadonlyMap<string, EdgeItemRecord>;
  /** False when the catalog could not be read: availability and category are then unknown. */
  recordsKnown: boolean;
  category: string | null;
  limit: number;
  maxCategoryShare: number;
}

export function applyRules<T extends { item_id: string }>(ranked: readonly T[], rules: RuleInput): T[] {
  const eligible = ranked.filter((c) => isEligible(c.item_id, rules));
  return diversify(eligible, rules);
}

function isEligible(itemId: string, rules: RuleInput): boolean {
  if (rules.excluded.has(itemId)) return false;
  const rec = rules.records.get(itemId);
  if (!rules.recordsKnown) return rules.category === null;
  if (!rec?.available) return false;
  if (rules.category !== null) return rec.category === rules.category;
  return true;
}

function diversify<T extends { item_id: string }>(eligible: readonly T[], rules: RuleInput): T[] {
  const cap = Math.max(1, Math.floor(rules.limit * rules.maxCategoryShare));
  const perCategory = new Map<string, number>();
  const picked: T[] = [];
  const heldBack: T[] = [];
  for (const c of eligible) {
    if (picked.length >= rules.limit) break;
    const category = rules.records.get(c.item_id)?.category ?? null;
    const n = category === null ? 0 : (perCategory.get(category) ?? 0);
    if (category !== null && rules.category === null && n >= cap) {
      heldBack.push(c);
      continue;
    }
    if (category !== null) perCategory.set(category, n + 1);
    picked.push(c);
  }
  return [...picked, ...heldBack].slice(0, rules.limit);
}
