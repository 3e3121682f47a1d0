/**
 * A shadow's readout from Postgres: its lists joined to the served lists of the same
 * requests, and each request's outcomes (feedback on the served list, or the user's
 * click / add-to-cart / purchase events within the attribution window after it), fed
 * to the pure comparison.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { compareShadow, type ShadowComparison, type ShadowPair } from "./shadow-comparison.js";
import { resultRows } from "../db/result-rows.js";

/** The newest requests only: a readout must stay cheap however long a shadow runs. */
export const MAX_COMPARED_REQUESTS = 50_000;

interface PairRow {
  request_id: string;
  served: string[];
  shadow: string[];
  served_latency: number | null;
  shadow_latency: number | null;
}

export async function shadowReport(db: Db, version: string, since: Date, windowHours: number, k = 10): Promise<ShadowComparison> {
  const pairs = resultRows<PairRow>(
    await db.execute(sql`
      select h.request_id, s.items as served, h.items as shadow, s.latency_ms as served_latency, h.latency_ms as shadow_latency
      from shadow_lists h
      join served_lists s on s.request_id = h.request_id
      where h.model_version = ${version} and h.ts >= ${since.toISOString()}
      order by h.ts desc
      limit ${MAX_COMPARED_REQUESTS}`),
  );
  const outcomes = await outcomesOf(db, version, since, windowHours);
  const shaped: ShadowPair[] = pairs.map((p) => ({
    requestId: p.request_id,
    served: p.served,
    shadow: p.shadow,
    servedLatencyMs: p.served_latency,
    shadowLatencyMs: p.shadow_latency,
  }));
  return compareShadow(shaped, outcomes, k);
}

async function outcomesOf(db: Db, version: string, since: Date, windowHours: number): Promise<Map<string, Set<string>>> {
  const rows = resultRows<{ request_id: string; item_id: string }>(
    await db.execute(sql`
      with compared as (
        select s.request_id, s.user_id, s.ts
        from shadow_lists h join served_lists s on s.request_id = h.request_id
        where h.model_version = ${version} and h.ts >= ${since.toISOString()}
      )
      select c.request_id, f.item_id from compared c
        join feedback f on f.request_id = c.request_id and f.type in ('click', 'conversion')
      union
      select c.request_id, i.item_id from compared c
        join interactions i on i.user_id = c.user_id
          and i.type in ('click', 'add_to_cart', 'purchase')
          and i.ts > c.ts and i.ts <= c.ts + make_interval(hours => ${windowHours})`),
  );
  const byRequest = new Map<string, Set<string>>();
  for (const r of rows) {
    let set = byRequest.get(r.request_id);
    if (!set) byRequest.set(r.request_id, (set = new Set()));
    set.add(r.item_id);
  }
  return byRequest;
}
