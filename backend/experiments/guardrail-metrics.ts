/**
 * The guardrail metrics of an experiment's variants from its served lists: latency p95
 * (percentile_cont, linear, over the lists that carry a latency) and the share of lists
 * that degraded. Definitions in models/experiments/stats/guardrails.ts.
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { VariantGuardrailMetrics } from "../../models/experiments/stats/guardrails.js";
import { resultRows } from "../db/result-rows.js";
import type { Queryable } from "./experiment-store.js";

const Row = z.object({
  variant: z.string(),
  lists: z.coerce.number().int(),
  latency_measured: z.coerce.number().int(),
  latency_p95: z.coerce.number().nullable(),
  error_rate: z.coerce.number().nullable(),
});

export async function variantGuardrailMetrics(db: Queryable, experimentId: string): Promise<VariantGuardrailMetrics[]> {
  const result = await db.execute(sql`
    select variant,
      count(*) as lists,
      count(latency_ms) as latency_measured,
      percentile_cont(0.95) within group (order by latency_ms) as latency_p95,
      avg(case when cardinality(degraded) > 0 then 1.0 else 0.0 end) as error_rate
    from served_lists
    where experiment_id = ${experimentId} and variant is not null
    group by variant
    order by variant`);
  return resultRows(result).map((raw) => {
    const r = Row.parse(raw);
    return {
      variant: r.variant,
      lists: r.lists,
      latencyMeasured: r.latency_measured,
      latencyP95Ms: r.latency_p95 === null ? null : Math.round(r.latency_p95 * 10) / 10,
      errorRate: r.error_rate === null ? null : Math.round(r.error_rate * 1e6) / 1e6,
    };
  });
}
