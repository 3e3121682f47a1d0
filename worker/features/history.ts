/**
 * A user's short interaction history as kept in Redis lists: `<item>\t<ts>` entries,
 * newest pushed first. Tabs cannot occur in ids, so the encoding is unambiguous.
 */
import type { TimedItem } from "./co-occurrence.js";

export function encodeHistoryEntry(e: TimedItem): string {
  return `${e.item_id}\t${e.ts}`;
}

export function decodeHistory(raw: unknown): TimedItem[] {
  if (!Array.isArray(raw)) return [];
  const out: TimedItem[] = [];
  for (const entry of raw) {
    const text = String(entry);
    const tab = text.indexOf("\t");
    if (tab <= 0) continue;
    const ts = Number(text.slice(tab + 1));
    if (Number.isFinite(ts)) out.push({ item_id: text.slice(0, tab), ts });
  }
  return out;
}

export function keyedLists(ids: readonly string[], lists: readonly unknown[]): Map<string, TimedItem[]> {
  return new Map(ids.map((id, i) => [id, decodeHistory(lists[i])]));
}
