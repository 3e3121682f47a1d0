/** Live intake and serving over the last minute, refreshed every few seconds, with the window's seconds as a chart. */
import { get } from "../api.js";
import type { LiveRates } from "../api-types.js";
import { lineChart } from "../charts.js";
import { figure, h, section, table } from "../dom.js";
import { count, ms, percent, perSecond } from "../format.js";
import { every, type Page } from "../page.js";

const POLL_MS = 5000;
const WINDOW_SECONDS = 60;

export const livePage: Page = async (root) => {
  const figures = h("div", { class: "figures" });
  const stages = h("div", {});
  const chart = h("div", { class: "chart", "data-chart": "live" });
  root.replaceChildren(
    h("p", {}, `Over the last ${WINDOW_SECONDS} s, as this backend received them (the edge logs served lists through the queue).`),
    figures,
    section("Per second", chart),
    section("Degraded lists by stage", stages),
  );
  const draw = async () => {
    const live = await get<LiveRates>(`/api/v1/ops/live?seconds=${WINDOW_SECONDS}`);
    figures.replaceChildren(
      figure("ingested-per-second", "events stored / s", perSecond(live.ingested_per_second)),
      figure("served-per-second", "lists served / s", perSecond(live.served_per_second)),
      figure("served-lists", `lists in ${live.window_seconds} s`, count(live.served_lists)),
      figure("latency-p50", "edge p50", ms(live.latency_ms.p50)),
      figure("latency-p95", "edge p95", ms(live.latency_ms.p95)),
      figure("latency-p99", "edge p99", ms(live.latency_ms.p99)),
      figure("degraded-share", "degraded", percent(live.degraded_share)),
    );
    const byStage = Object.entries(live.degraded_by_stage).sort((a, b) => b[1] - a[1]);
    stages.replaceChildren(
      table(["stage", "lists"], byStage.length === 0 ? [["none", "0"]] : byStage.map(([s, n]) => [s, count(n)]), { "data-table": "stages" }),
    );
    chart.replaceChildren();
    lineChart(
      chart,
      "each second",
      live.per_second.map((p) => p.second),
      [
        { label: "lists served", values: live.per_second.map((p) => p.served) },
        { label: "events stored", values: live.per_second.map((p) => p.ingested) },
      ],
    );
  };
  await draw();
  return every(POLL_MS, draw);
};
