/** Experiments: the list, and one experiment's readout with its cumulative CTR per variant and confidence bands. */
import { get, post } from "../api.js";
import type { Experiment, ExperimentResults, ExperimentTimeline } from "../api-types.js";
import { bandChart } from "../charts.js";
import { append, figure, h, notice, section, table } from "../dom.js";
import { count, fixed, percent, time } from "../format.js";
import type { Page } from "../page.js";

const BASE = "/api/v1/recs/experiments";

export const experimentsPage: Page = async (root) => {
  const { experiments } = await get<{ experiments: Experiment[] }>(`${BASE}?limit=100`);
  root.replaceChildren(
    section(
      "Experiments",
      experiments.length === 0
        ? notice("No experiments yet. Create one with POST /api/v1/recs/experiments, or start a canary.")
        : table(
            ["name", "status", "primary metric", "traffic", "variants", "started", "stopped"],
            experiments.map((e) => [
              h("a", { href: `#/experiment/${encodeURIComponent(e.id)}` }, e.name),
              h("span", { class: `badge ${e.status}` }, e.status),
              e.config.primary_metric,
              percent(e.config.traffic_share, 0),
              e.config.variants.map((v) => `${v.key} ${v.weight}%`).join(", "),
              time(e.started_at),
              time(e.stopped_at),
            ]),
            { "data-table": "experiments" },
          ),
    ),
  );
  return undefined;
};

export const experimentPage: Page = async (root, params, ctx) => {
  const id = params[0] ?? "";
  const path = `${BASE}/${encodeURIComponent(id)}`;
  const [experiment, results, timeline] = await Promise.all([
    get<Experiment>(path),
    get<ExperimentResults>(`${path}/results`),
    get<ExperimentTimeline>(`${path}/timeline?points=12`),
  ]);
  const status = h("div", { class: "action-status" });
  const stop =
    experiment.status === "running"
      ? h(
          "button",
          {
            type: "button",
            onclick: async () => {
              if (!window.confirm(`Stop "${experiment.name}"? Every user goes back to the default.`)) return;
              try {
                await post(`${path}/stop`);
                ctx.refresh();
              } catch (error) {
                status.replaceChildren(notice(error instanceof Error ? error.message : String(error), "error"));
              }
            },
          },
          "Stop experiment",
        )
      : null;
  const chart = h("div", { class: "chart", "data-chart": "experiment-ctr" });
  root.replaceChildren();
  append(root, [
    h("h2", {}, experiment.name, " ", h("span", { class: `badge ${experiment.status}` }, experiment.status)),
    h("p", { class: "verdict", "data-figure": "verdict" }, results.verdict),
    h(
      "div",
      { class: "figures" },
      figure("srm-p", "sample-ratio p", fixed(results.srm.p_value)),
      figure("srm", "sample ratio", results.srm.mismatch ? "MISMATCH" : "ok"),
      figure("guardrails", "guardrails", results.guardrails.breached ? "breached" : "holding"),
    ),
    stop,
    status,
    section("Cumulative CTR per variant (95% interval)", chart),
    section(
      "Variants",
      table(
        ["variant", "weight", "users", "lists", "impressions", "clicks", "CTR", "CTR 95% interval", "conversions", "conversion rate"],
        results.variants.map((v) => [
          v.variant === experiment.config.control ? `${v.variant} (control)` : v.variant,
          `${v.weight}%`,
          count(v.users),
          count(v.lists),
          count(v.impressions),
          count(v.clicks),
          percent(v.ctr.rate),
          `${percent(v.ctr.lower)} – ${percent(v.ctr.upper)}`,
          count(v.conversions),
          percent(v.conversion_rate.rate),
        ]),
        { "data-table": "variants" },
      ),
    ),
    section(
      "Guardrails",
      h("p", { "data-figure": "guardrails-note" }, results.guardrails_note),
      results.guardrails.checks.length === 0
        ? null
        : table(
            ["metric", "variant", "threshold", "value", "status"],
            results.guardrails.checks.map((g) => [g.metric, g.variant, String(g.threshold), fixed(g.value, 3), g.status]),
          ),
    ),
  ]);
  drawTimeline(
    chart,
    timeline,
    results.variants.map((v) => v.variant),
  );
  return undefined;
};

function drawTimeline(target: HTMLElement, timeline: ExperimentTimeline, variants: readonly string[]): void {
  if (timeline.points.length === 0) {
    target.replaceChildren(notice("Not started yet: nothing to chart."));
    return;
  }
  const times = timeline.points.map((p) => Date.parse(p.at) / 1000);
  // A point with no impressions has no rate yet (its interval is the whole 0–1 range): left out.
  const column = (variant: string, pick: "rate" | "lower" | "upper") =>
    timeline.points.map((p) => {
      const v = p.variants.find((x) => x.variant === variant);
      return v && v.impressions > 0 ? v.ctr[pick] : null;
    });
  bandChart(
    target,
    "CTR",
    times,
    variants.map((variant) => ({ label: variant, values: column(variant, "rate"), lower: column(variant, "lower"), upper: column(variant, "upper") })),
    (v) => percent(v, 1),
  );
}
