/**
 * Deterministic demo data with a planted structure: ~8 taste clusters × 40 items
 * across product categories, ~1,500 users who each mostly browse one cluster (some a
 * second one), ~25k events in sessions over the last 30 days. Recommendations that
 * make sense recover the clusters; tests can check that from `clusters`.
 */
import type { CatalogItem } from "../../models/catalog.js";
import type { EventInput, EventType } from "../../models/events.js";
import { DEMO_CLUSTERS, type DemoCluster } from "./demo-clusters.js";
import { createRng, type Rng } from "./prng.js";

export interface DemoData {
  items: CatalogItem[];
  /** In time order, oldest first; every one has an event_id and a ts in the past. */
  events: EventInput[];
  /** Cluster name → its item ids. */
  clusters: Record<string, string[]>;
  /** User id → the clusters planted for the user, main one first. */
  userClusters: Record<string, string[]>;
}

export interface DemoOptions {
  /** Events end just before this instant; default: now, rounded down to the minute. */
  now?: number;
  users?: number;
  itemsPerCluster?: number;
}

export const DEFAULT_DEMO_SEED = 42;
const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

const BRANDS = ["Northpeak", "Alder & Co", "Lumen", "Fieldcraft", "Kestrel", "Oakline"];

export function generateDemoData(seed: number = DEFAULT_DEMO_SEED, options: DemoOptions = {}): DemoData {
  const rng = createRng(seed);
  const now = options.now ?? Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const perCluster = options.itemsPerCluster ?? 40;
  const items: CatalogItem[] = [];
  const clusters: Record<string, string[]> = {};
  for (const cluster of DEMO_CLUSTERS) {
    const clusterItems = makeClusterItems(cluster, perCluster, rng);
    items.push(...clusterItems);
    clusters[cluster.name] = clusterItems.map((i) => i.item_id);
  }
  markUnavailable(items, 0.03, rng);
  const available = new Set(items.filter((i) => i.available !== false).map((i) => i.item_id));
  const userCount = options.users ?? 1500;
  const events: EventInput[] = [];
  const userClusters: Record<string, string[]> = {};
  for (let u = 1; u <= userCount; u++) {
    const userId = `demo-user-${u}`;
    const tastes = pickTastes(rng);
    userClusters[userId] = tastes.map((c) => c.name);
    events.push(...userEvents(rng, userId, tastes, clusters, available, now));
  }
  events.sort((a, b) => (a.ts as number) - (b.ts as number) || (a.event_id! < b.event_id! ? -1 : 1));
  return { items, events, clusters, userClusters };
}

function makeClusterItems(cluster: DemoCluster, count: number, rng: Rng): CatalogItem[] {
  return Array.from({ length: count }, (_, i) => {
    const product = cluster.products[i % cluster.products.length]!;
    const variant = Math.floor(i / cluster.products.length) + 1;
    const price = Math.max(1, Math.round(product.price * (0.75 + rng.next() * 0.6))) - 0.01;
    return {
      item_id: `${cluster.slug}-${String(i + 1).padStart(2, "0")}`,
      title: `${product.name} ${variant}`,
      category: product.category,
      tags: [cluster.slug, slug(product.name), product.category],
      price: Number(price.toFixed(2)),
      available: true,
      attributes: { brand: rng.pick(BRANDS), variant },
    };
  });
}

/** Exactly round(share × n) items, spread at random, are out of stock. */
function markUnavailable(items: CatalogItem[], share: number, rng: Rng): void {
  const target = Math.round(items.length * share);
  const chosen = new Set<number>();
  while (chosen.size < target) chosen.add(rng.int(0, items.length - 1));
  for (const i of chosen) items[i]!.available = false;
}

/** One main cluster; about a quarter of users also have a second. */
function pickTastes(rng: Rng): DemoCluster[] {
  // Uneven cluster sizes, so "popular" differs from "personal".
  const weights = DEMO_CLUSTERS.map((_, i) => 1 / (1 + i * 0.15));
  const main = DEMO_CLUSTERS[rng.weighted(weights)]!;
  if (!rng.chance(0.25)) return [main];
  let second = main;
  while (second === main) second = rng.pick(DEMO_CLUSTERS);
  return [main, second];
}

function userEvents(
  rng: Rng,
  userId: string,
  tastes: DemoCluster[],
  clusters: Record<string, string[]>,
  available: ReadonlySet<string>,
  now: number,
): EventInput[] {
  // Heavy-tailed activity: most users have a couple of sessions, a few have many.
  const sessions = 1 + Math.floor(-Math.log(1 - rng.next()) * 1.7);
  const events: EventInput[] = [];
  for (let s = 1; s <= Math.min(sessions, 12); s++) {
    const cluster = sessionCluster(rng, tastes);
    // Sessions last at most about an hour, so every event is in the past.
    const start = now - 90 * MINUTE_MS - Math.floor(rng.next() * 30 * DAY_MS);
    const session = { userId, sessionId: `${userId}-s${s}`, start, now };
    events.push(...sessionEvents(rng, session, clusters[cluster.name]!, clusters, available));
  }
  return events;
}

function sessionCluster(rng: Rng, tastes: DemoCluster[]): DemoCluster {
  const r = rng.next();
  if (r < 0.05) return rng.pick(DEMO_CLUSTERS); // an occasional off-taste session
  if (tastes.length > 1 && r < 0.35) return tastes[1]!;
  return tastes[0]!;
}

interface Session {
  userId: string;
  sessionId: string;
  start: number;
  now: number;
}

function sessionEvents(rng: Rng, session: Session, clusterItems: string[], clusters: Record<string, string[]>, available: ReadonlySet<string>): EventInput[] {
  const events: EventInput[] = [];
  let ts = session.start;
  const views = rng.int(3, 8);
  const emit = (itemId: string, type: EventType, at: number, value?: number) => {
    events.push({
      event_id: `${session.sessionId}-e${events.length + 1}`,
      user_id: session.userId,
      session_id: session.sessionId,
      item_id: itemId,
      type,
      ts: at,
      ...(value === undefined ? {} : { value }),
    });
  };
  for (let v = 0; v < views; v++) {
    ts += rng.int(1, 6) * MINUTE_MS + rng.int(0, 59) * 1000;
    const itemId = rng.chance(0.88) ? popularWithin(rng, clusterItems) : rng.pick(Object.values(clusters).flat());
    emit(itemId, "view", ts);
    if (rng.chance(0.25)) emit(itemId, "click", ts + rng.int(5, 50) * 1000);
    if (!available.has(itemId)) continue;
    if (rng.chance(0.02)) emit(itemId, "wishlist", ts + 55_000);
    if (rng.chance(0.08)) {
      emit(itemId, "add_to_cart", ts + 60_000);
      if (rng.chance(0.4)) {
        emit(itemId, "purchase", ts + 120_000, 1);
        // Rated days later, or just now if that would be in the future.
        if (rng.chance(0.2)) emit(itemId, "rating", Math.min(ts + 3 * DAY_MS, session.now - MINUTE_MS), rng.int(3, 5));
      }
    }
  }
  return events;
}

/** Within a cluster some items are far more popular than others (Zipf-like). */
function popularWithin(rng: Rng, items: readonly string[]): string {
  const index = Math.min(items.length - 1, Math.floor(items.length * rng.next() ** 1.8));
  return items[index]!;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}
