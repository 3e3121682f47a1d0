import { describe, expect, it } from "vitest";
import { CatalogItemSchema } from "../../models/catalog.js";
import { EventInputSchema, EVENT_TYPES } from "../../models/events.js";
import { generateDemoData } from "./generate-demo-data.js";

const NOW = Date.UTC(2026, 5, 1, 12, 0);
const data = generateDemoData(42, { now: NOW });

describe("generateDemoData", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    expect(generateDemoData(42, { now: NOW })).toEqual(data);
    const other = generateDemoData(7, { now: NOW });
    expect(other.events.length).not.toBe(data.events.length);
    // Ids do not depend on the clock, only on the seed.
    expect(generateDemoData(42, { now: NOW + 86_400_000 }).events.map((e) => e.event_id)).toEqual(data.events.map((e) => e.event_id));
  });

  it("has the planted shape: 8 clusters × 40 items across categories, ~1,500 users, ~25k events", () => {
    expect(Object.keys(data.clusters)).toHaveLength(8);
    for (const ids of Object.values(data.clusters)) expect(ids).toHaveLength(40);
    expect(data.items).toHaveLength(320);
    expect(new Set(data.items.map((i) => i.item_id)).size).toBe(320);
    for (const ids of Object.values(data.clusters)) {
      const categories = new Set(ids.map((id) => data.items.find((i) => i.item_id === id)!.category));
      expect(categories.size).toBeGreaterThanOrEqual(3);
    }
    const unavailable = data.items.filter((i) => i.available === false).length;
    expect(unavailable).toBeGreaterThanOrEqual(5);
    expect(unavailable).toBeLessThanOrEqual(16);
    expect(Object.keys(data.userClusters)).toHaveLength(1500);
    expect(data.events.length).toBeGreaterThan(20_000);
    expect(data.events.length).toBeLessThan(32_000);
    expect(data.items[0]?.title).toMatch(/^[A-Z][a-z -]+ \d+$/);
  });

  it("produces only valid items and events, all in the past, with unique ids, in time order", () => {
    for (const item of data.items) expect(CatalogItemSchema.safeParse(item).success).toBe(true);
    const ids = new Set<string>();
    let previous = 0;
    for (const event of data.events) {
      expect(EventInputSchema.safeParse(event).success).toBe(true);
      expect(event.event_id).toBeDefined();
      ids.add(event.event_id!);
      const ts = event.ts as number;
      expect(ts).toBeLessThan(NOW);
      expect(ts).toBeGreaterThan(NOW - 31 * 86_400_000);
      expect(ts).toBeGreaterThanOrEqual(previous);
      previous = ts;
    }
    expect(ids.size).toBe(data.events.length);
  });

  it("has realistic funnel rates: views ≫ clicks ≫ carts ≫ purchases", () => {
    const count = Object.fromEntries(EVENT_TYPES.map((t) => [t, data.events.filter((e) => e.type === t).length]));
    expect(count.view).toBeGreaterThan(count.click! * 2);
    expect(count.click).toBeGreaterThan(count.add_to_cart! * 2);
    expect(count.add_to_cart).toBeGreaterThan(count.purchase!);
    expect(count.purchase).toBeGreaterThan(0);
  });

  it("keeps most of a user's events inside one cluster, the one planted for them", () => {
    const clusterOf = new Map<string, string>();
    for (const [name, ids] of Object.entries(data.clusters)) for (const id of ids) clusterOf.set(id, name);
    const perUser = new Map<string, Map<string, number>>();
    for (const e of data.events) {
      const counts = perUser.get(e.user_id) ?? new Map<string, number>();
      const c = clusterOf.get(e.item_id)!;
      counts.set(c, (counts.get(c) ?? 0) + 1);
      perUser.set(e.user_id, counts);
    }
    let dominantShare = 0;
    let plantedIsTop = 0;
    for (const [user, counts] of perUser) {
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const [top, n] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
      dominantShare += n / total;
      if (data.userClusters[user]!.includes(top)) plantedIsTop += 1;
    }
    expect(dominantShare / perUser.size).toBeGreaterThan(0.7);
    expect(plantedIsTop / perUser.size).toBeGreaterThan(0.9);
  });

  it("groups each session's events minutes apart", () => {
    const session = data.events.filter((e) => e.session_id === data.events[100]!.session_id);
    const views = session.filter((e) => e.type === "view").map((e) => e.ts as number);
    for (let i = 1; i < views.length; i++) {
      expect(views[i]! - views[i - 1]!).toBeGreaterThanOrEqual(60_000);
      expect(views[i]! - views[i - 1]!).toBeLessThan(8 * 60_000);
    }
  });
});
