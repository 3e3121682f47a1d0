/** Canary rollouts (each an experiment of the champion against the canary) and shadow comparisons. */
import { ApiFailure, get } from "../api.js";
import type { Canary, ModelList, ShadowReadout } from "../api-types.js";
import { h, notice, section, table } from "../dom.js";
import { fixed, ms, percent, time } from "../format.js";
import type { Page } from "../page.js";

/** Shadows are read per version; the newest few published versions cover any recent one. */
const SHADOW_LOOKBACK = 10;

export const rolloutsPage: Page = async (root) => {
  const [{ canaries }, registry] = await Promise.all([
    get<{ canaries: Canary[] }>("/api/v1/recs/models/canaries?limit=50"),
    get<ModelList>(`/api/v1/recs/models?limit=${SHADOW_LOOKBACK}`),
  ]);
  const shadows = (await Promise.all(registry.models.filter((m) => m.published_at !== null).map((m) => shadowOf(m.version)))).filter(
    (s): s is ShadowReadout => s !== null,
  );
  root.replaceChildren(
    section(
      "Canaries",
      canaries.length === 0
        ? notice("No canaries yet.")
        : table(
            ["version", "against", "traffic", "status", "reason", "started", "decided"],
            canaries.map((c) => [
              h("a", { href: `#/experiment/${encodeURIComponent(c.experiment_id)}` }, c.version),
              c.champion_version,
              `${c.traffic_percent}%`,
              h("span", { class: `badge ${c.status}` }, c.status),
              c.reason ?? "–",
              time(c.created_at),
              time(c.decided_at),
            ]),
            { "data-table": "canaries" },
          ),
    ),
    section(
      "Shadows",
      shadows.length === 0
        ? notice("No shadows among the latest versions.")
        : table(
            ["version", "against", "sample", "status", "requests", "overlap@k", "served hit rate", "shadow hit rate", "served p95", "shadow p95"],
            shadows.map((s) => [
              s.shadow.version,
              s.shadow.champion_version,
              `${s.shadow.sample_percent}%`,
              h("span", { class: `badge ${s.shadow.status}` }, s.shadow.status),
              String(s.comparison.requests),
              fixed(s.comparison.mean_overlap_at_k, 3),
              percent(s.comparison.served_hit_rate),
              percent(s.comparison.shadow_hit_rate),
              ms(s.comparison.served_latency_p95_ms),
              ms(s.comparison.shadow_latency_p95_ms),
            ]),
            { "data-table": "shadows" },
          ),
    ),
  );
  return undefined;
};

async function shadowOf(version: string): Promise<ShadowReadout | null> {
  try {
    return await get<ShadowReadout>(`/api/v1/recs/models/${encodeURIComponent(version)}/shadow`);
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404) return null;
    throw error;
  }
}
