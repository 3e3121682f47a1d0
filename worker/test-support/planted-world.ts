/**
 * A small catalog with two planted clusters, written straight into the feature store
 * the way the queue consumer and the backend's catalog sync write it. Item ids carry a
 * per-test prefix so parallel test files do not meet.
 */
import { env } from "cloudflare:test";
import { toEdgeItemRecord, type CatalogItem } from "../../models/catalog.js";
import { DEFAULT_EVENT_WEIGHTS, type StoredEvent } from "../../models/events.js";
import { keys } from "../../models/feature-keys.js";
import { applyEventsToFeatures } from "../features/feature-writer.js";
import { redisClient } from "../features/redis-client.js";

export interface PlantedWorld {
  clusters: { trail: string[]; coffee: string[] };
  items: CatalogItem[];
}

export async function plantWorld(prefix: string, now = Date.now()): Promise<PlantedWorld> {
  const trail = Array.from({ length: 6 }, (_, i) => `${prefix}-trail-${i}`);
  const coffee = Array.from({ length: 6 }, (_, i) => `${prefix}-coffee-${i}`);
  const items: CatalogItem[] = [
    ...trail.map((item_id, i) => ({ item_id, title: `Trail item ${i}`, category: i % 2 ? "shoes" : "gear" })),
    ...coffee.map((item_id, i) => ({ item_id, title: `Coffee item ${i}`, category: i % 2 ? "kitchen" : "books" })),
  ];
  const redis = redisClient(env, 5_000);
  const p = redis.pipeline();
  for (const item of items) p.set(keys.item(item.item_id), JSON.stringify(toEdgeItemRecord(item)));
  await p.exec();

  const events: StoredEvent[] = [];
  let n = 0;
  for (const [cluster, ids] of [
    ["trail", trail],
    ["coffee", coffee],
  ] as const) {
    for (let u = 0; u < 12; u++) {
      const user = `${prefix}-${cluster}-user-${u}`;
      // Each user views four items of one cluster a minute apart; coffee is the more popular.
      const picks = [0, 1, 2, 3].map((k) => ids[(u + k) % ids.length]!);
      const repeats = cluster === "coffee" ? 2 : 1;
      for (let r = 0; r < repeats; r++) {
        picks.forEach((item_id, k) => {
          events.push({
            event_id: `${prefix}-e${n++}`,
            user_id: user,
            session_id: null,
            item_id,
            type: "view",
            value: null,
            ts: now - 3600_000 + r * 600_000 + k * 60_000,
            context: null,
          });
        });
      }
    }
  }
  await applyEventsToFeatures(redis, events, DEFAULT_EVENT_WEIGHTS, now);
  return { clusters: { trail, coffee }, items };
}
