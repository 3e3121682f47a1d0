/**
 * Which item pairs an incoming event creates: co-view (any positive interaction with
 * two items close together in time) and co-purchase (two purchases in one basket
 * window). Pure, so the counting rules are tested without Redis.
 */
export interface TimedItem {
  item_id: string;
  ts: number;
}

export interface PairRules {
  /** Two interactions farther apart than this are not "together". */
  windowMs: number;
  /** Only this many previous interactions are paired, bounding the work per event. */
  maxPartners: number;
}

export const CO_VIEW_RULES: PairRules = { windowMs: 30 * 60 * 1000, maxPartners: 20 };
export const CO_PURCHASE_RULES: PairRules = { windowMs: 24 * 60 * 60 * 1000, maxPartners: 20 };

/**
 * Items the new interaction pairs with: distinct, other than itself, within the window,
 * nearest in time first. `history` may hold items both older and newer than `event`
 * (back-filled events arrive out of order).
 */
export function partnersOf(event: TimedItem, history: readonly TimedItem[], rules: PairRules): string[] {
  // Only the interactions inside the window are sorted: a whole stored history sorted per
  // incoming event was a tenth of the queue consumer's CPU.
  const near: Array<{ distance: number; item_id: string }> = [];
  for (const h of history) {
    const distance = Math.abs(h.ts - event.ts);
    if (distance <= rules.windowMs && h.item_id !== event.item_id) near.push({ distance, item_id: h.item_id });
  }
  near.sort((a, b) => a.distance - b.distance);
  const seen = new Set<string>();
  const partners: string[] = [];
  for (const h of near) {
    if (partners.length >= rules.maxPartners) break;
    if (seen.has(h.item_id)) continue;
    seen.add(h.item_id);
    partners.push(h.item_id);
  }
  return partners;
}

/**
 * Pair increments for one user's new interactions, applied in time order on top of
 * their stored history. A pair is counted once per user per batch, so flicking between
 * two items does not inflate their bond.
 */
export function pairIncrements(history: readonly TimedItem[], incoming: readonly TimedItem[], rules: PairRules): Array<[string, string]> {
  const known: TimedItem[] = [...history];
  const counted = new Set<string>();
  const pairs: Array<[string, string]> = [];
  for (const e of [...incoming].sort((a, b) => a.ts - b.ts)) {
    for (const partner of partnersOf(e, known, rules)) {
      const key = e.item_id < partner ? `${e.item_id}\u0000${partner}` : `${partner}\u0000${e.item_id}`;
      if (counted.has(key)) continue;
      counted.add(key);
      pairs.push([e.item_id, partner]);
    }
    known.push(e);
  }
  return pairs;
}
