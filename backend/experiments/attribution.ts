/**
 * Attribution: which impressions, clicks and conversions each variant of an experiment
 * earned, from what the edge logged — served lists (tagged with experiment and variant),
 * feedback (which names the request it is about) and interaction events (which do not).
 *
 * Rules, all in one SQL statement so the database does the joins and counting:
 *
 * 1. The experiment's lists are its rows in `served_lists` (experiment_id, variant).
 * 2. Outcomes, each tied to one (request, item):
 *    - feedback `impression`, `click`, `conversion` whose request_id is one of those
 *      lists and whose item is in that list;
 *    - interaction events `click`, `add_to_cart`, `purchase` (purchase = conversion)
 *      that name their request in `context.request_id`: credited to that list if it
 *      holds the item;
 *    - interaction events of those types that name no request: credited to the user's
 *      LATEST served list (of any experiment, or none) that held the item and was served
 *      at most the attribution window before the event (ATTRIBUTION_WINDOW_HOURS, 24 h by
 *      default), and counted here only when that list is one of this experiment's. The
 *      latest list is the one the user most plausibly acted on; crediting every list
 *      that ever showed the item would count one click several times.
 * 3. Each (request, item, outcome) counts once: a click reported both as feedback and as
 *    an event, or feedback delivered twice, is one click.
 * 4. Impressions of a list: the items that feedback says were seen (an `impression`, or
 *    a click or conversion, which implies one) when the client reports impressions for
 *    that list; otherwise every item of the list, since the edge served them all. Per
 *    list, not per client: a list either has impression feedback or it does not.
 *    Either way clicks and conversions of a list are a subset of its impressions, so the
 *    rates are proportions, as the statistics require.
 * 5. Users: distinct user ids among the variant's lists.
 * 6. Per-user second moments (Σi², Σc², Σc·i, and for conversions), for the user-level
 *    variance of the rates (stats/delta-method.ts).
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Queryable } from "./experiment-store.js";
import { resultRows } from "../db/result-rows.js";

export const DEFAULT_ATTRIBUTION_WINDOW_HOURS = 24;

/** Counts of one variant (the key as the served lists name it). */
export interface VariantCounts {
  variant: string;
  users: number;
  lists: number;
  impressions: number;
  clicks: number;
  addToCarts: number;
  conversions: number;
  /** Per-user sums of squares and products: Σi², Σc², Σc·i, Σv², Σv·i. */
  moments: { impressionsSq: number; clicksSq: number; clicksXImpressions: number; conversionsSq: number; conversionsXImpressions: number };
}

const CountRow = z.object({
  variant: z.string(),
  users: z.coerce.number().int(),
  lists: z.coerce.number().int(),
  impressions: z.coerce.number().int(),
  clicks: z.coerce.number().int(),
  add_to_carts: z.coerce.number().int(),
  conversions: z.coerce.number().int(),
  impressions_sq: z.coerce.number(),
  clicks_sq: z.coerce.number(),
  clicks_x_impressions: z.coerce.number(),
  conversions_sq: z.coerce.number(),
  conversions_x_impressions: z.coerce.number(),
});

/**
 * `servedBefore`: count only the lists served before that instant (with all they earned
 * so far), for the cumulative timeline; every list when absent.
 */
export async function attributedCounts(
  db: Queryable,
  experimentId: string,
  windowHours = DEFAULT_ATTRIBUTION_WINDOW_HOURS,
  servedBefore?: Date,
): Promise<VariantCounts[]> {
  if (!(windowHours > 0)) throw new RangeError(`the attribution window must be positive, got ${windowHours} hours`);
  const cutoff = servedBefore ? sql`and ts < ${servedBefore.toISOString()}::timestamptz` : sql``;
  const result = await db.execute(sql`
    with lists as (
      select request_id, user_id, variant, items, ts
      from served_lists
      where experiment_id = ${experimentId} and variant is not null ${cutoff}
    ),
    outcomes as (
      select f.request_id, f.item_id, f.type as outcome
      from feedback f
      join lists l on l.request_id = f.request_id
      where f.type in ('impression', 'click', 'conversion') and f.item_id = any(l.items)
      union
      select l.request_id, i.item_id, case i.type when 'purchase' then 'conversion' else i.type end
      from interactions i
      join lists l on l.request_id = i.context ->> 'request_id'
      where i.type in ('click', 'add_to_cart', 'purchase') and i.item_id = any(l.items)
      union
      select s.request_id, i.item_id, case i.type when 'purchase' then 'conversion' else i.type end
      from interactions i
      cross join lateral (
        select sl.request_id, sl.experiment_id
        from served_lists sl
        where sl.user_id = i.user_id
          and i.item_id = any(sl.items)
          and sl.ts <= i.ts
          and sl.ts >= i.ts - ${windowHours}::float8 * interval '1 hour'
        order by sl.ts desc, sl.request_id desc
        limit 1
      ) s
      where i.type in ('click', 'add_to_cart', 'purchase')
        and (i.context ->> 'request_id') is null
        and s.experiment_id = ${experimentId}
        and i.user_id in (select user_id from lists)
        and i.ts >= (select min(ts) from lists)
    ),
    per_request as (
      select
        request_id,
        bool_or(outcome = 'impression') as reports_impressions,
        count(distinct item_id) as seen,
        count(*) filter (where outcome = 'click') as clicks,
        count(*) filter (where outcome = 'add_to_cart') as add_to_carts,
        count(*) filter (where outcome = 'conversion') as conversions
      from outcomes
      group by request_id
    ),
    per_list as (
      select
        l.variant,
        l.user_id,
        case
          when p.reports_impressions then p.seen
          else (select count(distinct x) from unnest(l.items) as x)
        end as impressions,
        coalesce(p.clicks, 0) as clicks,
        coalesce(p.add_to_carts, 0) as add_to_carts,
        coalesce(p.conversions, 0) as conversions
      from lists l
      left join per_request p on p.request_id = l.request_id
    ),
    per_user as (
      select variant, user_id, count(*) as lists,
        sum(impressions)::float8 as i, sum(clicks)::float8 as c, sum(add_to_carts)::float8 as a, sum(conversions)::float8 as v
      from per_list
      group by variant, user_id
    )
    select
      variant,
      count(*) as users,
      sum(lists) as lists,
      coalesce(sum(i), 0) as impressions,
      coalesce(sum(c), 0) as clicks,
      coalesce(sum(a), 0) as add_to_carts,
      coalesce(sum(v), 0) as conversions,
      coalesce(sum(i * i), 0) as impressions_sq,
      coalesce(sum(c * c), 0) as clicks_sq,
      coalesce(sum(c * i), 0) as clicks_x_impressions,
      coalesce(sum(v * v), 0) as conversions_sq,
      coalesce(sum(v * i), 0) as conversions_x_impressions
    from per_user
    group by variant
    order by variant
  `);
  return resultRows(result).map((raw) => {
    const r = CountRow.parse(raw);
    return {
      variant: r.variant,
      users: r.users,
      lists: r.lists,
      impressions: r.impressions,
      clicks: r.clicks,
      addToCarts: r.add_to_carts,
      conversions: r.conversions,
      moments: {
        impressionsSq: r.impressions_sq,
        clicksSq: r.clicks_sq,
        clicksXImpressions: r.clicks_x_impressions,
        conversionsSq: r.conversions_sq,
        conversionsXImpressions: r.conversions_x_impressions,
      },
    };
  });
}
