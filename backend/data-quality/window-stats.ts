/** The figures of the data-quality checks (data-quality.ts) for one window, from PostgreSQL. */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { resultRows } from "../db/result-rows.js";
import type { WindowStats } from "./data-quality.js";

export async function windowStats(db: Db, hours: number, now = new Date()): Promise<WindowStats> {
  const from = new Date(now.getTime() - hours * 3_600_000);
  const rows = resultRows<{ type: string; n: number | string; unknown_items: number | string; new_users: number | string }>(
    await db.execute(sql`
      SELECT i.type,
             count(*) AS n,
             count(*) FILTER (WHERE it.item_id IS NULL) AS unknown_items,
             count(*) FILTER (WHERE u.first_seen_at >= ${from.toISOString()}::timestamptz) AS new_users
      FROM interactions i
      LEFT JOIN items it ON it.item_id = i.item_id
      LEFT JOIN users u ON u.user_id = i.user_id
      WHERE i.ts >= ${from.toISOString()}::timestamptz AND i.ts < ${now.toISOString()}::timestamptz
      GROUP BY i.type`),
  );
  const byType = Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
  const sum = (f: (r: (typeof rows)[number]) => number | string) => rows.reduce((s, r) => s + Number(f(r)), 0);
  const invalid = await invalidStats(db, from, now);
  return {
    from,
    to: now,
    byType,
    events: sum((r) => r.n),
    unknownItemEvents: sum((r) => r.unknown_items),
    newUserEvents: sum((r) => r.new_users),
    ...invalid,
  };
}

async function invalidStats(db: Db, from: Date, to: Date): Promise<Pick<WindowStats, "invalidEvents" | "invalidByField">> {
  const rows = resultRows<{ field: string; n: number | string }>(
    await db.execute(sql`
      SELECT f.key AS field, sum(f.value::int) AS n
      FROM rejected_events r, jsonb_each_text(r.fields) f
      WHERE r.ts >= ${from.toISOString()}::timestamptz AND r.ts < ${to.toISOString()}::timestamptz
      GROUP BY f.key`),
  );
  const [total] = resultRows<{ n: number | string | null }>(
    await db.execute(sql`
      SELECT sum(count) AS n FROM rejected_events
      WHERE ts >= ${from.toISOString()}::timestamptz AND ts < ${to.toISOString()}::timestamptz`),
  );
  return { invalidEvents: Number(total?.n ?? 0), invalidByField: Object.fromEntries(rows.map((r) => [r.field, Number(r.n)])) };
}
