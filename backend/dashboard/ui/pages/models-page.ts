/** The model registry: versions with their offline metrics over time, the champion, promote and roll back. */
import { get, post } from "../api.js";
import type { ModelList, ModelVersion } from "../api-types.js";
import { lineChart } from "../charts.js";
import { figure, h, notice, section, table } from "../dom.js";
import { count, fixed, gated, time } from "../format.js";
import type { Page } from "../page.js";

export const modelsPage: Page = async (root, _params, ctx) => {
  const list = await get<ModelList>("/api/v1/recs/models?limit=100");
  const status = h("div", { class: "action-status" });
  const act = (label: string, question: string, path: string) =>
    h(
      "button",
      {
        type: "button",
        onclick: async () => {
          if (!window.confirm(question)) return;
          try {
            await post(path);
            ctx.refresh();
          } catch (error) {
            status.replaceChildren(notice(error instanceof Error ? error.message : String(error), "error"));
          }
        },
      },
      label,
    );

  const oldestFirst = [...list.models].sort((a, b) => a.created_at.localeCompare(b.created_at));
  const chart = h("div", { class: "chart", "data-chart": "model-metrics" });
  root.replaceChildren(
    h("div", { class: "figures" }, figure("champion", "champion", list.champion ?? "none"), figure("versions", "versions", count(list.models.length))),
    status,
    section("Offline metrics by version", chart),
    section(
      "Versions",
      // A first champion replaced nothing: there is nothing to roll back to.
      list.champion && list.models.length > 1
        ? h("p", {}, act("Roll back the champion", `Roll back ${list.champion} to the version it replaced?`, "/api/v1/recs/models/rollback"))
        : null,
      table(
        ["version", "type", "status", "trained", "NDCG@10", "Recall@20", "baseline NDCG@10", "", "gate"],
        list.models.map((m) => [
          m.version,
          m.model_type,
          h("span", { class: `badge ${m.status}` }, m.status),
          time(m.created_at),
          fixed(gated(m.metrics, "ndcg")),
          fixed(gated(m.metrics, "recall")),
          fixed(gated(m.baseline_metrics, "ndcg")),
          promotable(m)
            ? act("Promote", `Serve ${m.version} to everyone and make it the champion?`, `/api/v1/recs/models/${encodeURIComponent(m.version)}/promote`)
            : null,
          h("span", { class: "wrap" }, gateText(m)),
        ]),
        { "data-table": "models" },
      ),
    ),
  );
  if (oldestFirst.length === 0) chart.replaceChildren(notice("No versions yet: train one on the Training page."));
  else
    lineChart(
      chart,
      "Warm users, offline evaluation",
      oldestFirst.map((m) => Date.parse(m.created_at) / 1000),
      [
        { label: "NDCG@10", values: oldestFirst.map((m) => gated(m.metrics, "ndcg")) },
        { label: "Recall@20", values: oldestFirst.map((m) => gated(m.metrics, "recall")) },
        { label: "popularity NDCG@10", values: oldestFirst.map((m) => gated(m.baseline_metrics, "ndcg")) },
      ],
    );
  return undefined;
};

function promotable(m: ModelVersion): boolean {
  return m.status !== "champion" && m.status !== "rejected" && m.status !== "failed" && m.published_at !== null;
}

function gateText(m: ModelVersion): string {
  if (!m.gate) return "–";
  return m.gate.passed ? "passed" : `failed: ${m.gate.reasons.join("; ")}`;
}
