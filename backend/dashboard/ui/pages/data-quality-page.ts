/**
 * The data-quality checks over the last hour (volume by type, unknown items, new users, refused events)
 * and drift against the champion's training window (its events; and, for served scores and
 * ranking features, the lists it replayed at the window's end), with every alert raised.
 */
import { get } from "../api.js";
import type { DataQualityReport, DriftReport } from "../api-types.js";
import { figure, h, notice, section, table } from "../dom.js";
import { count, fixed, percent, time } from "../format.js";
import type { Page } from "../page.js";

export const dataQualityPage: Page = async (root) => {
  const [r, drift] = await Promise.all([get<DataQualityReport>("/api/v1/data-quality?hours=1"), get<DriftReport>("/api/v1/data-quality/drift")]);
  const alerts = [...r.alerts, ...drift.alerts];
  root.replaceChildren(
    h("p", {}, `Events with a timestamp from ${time(r.from)} to ${time(r.to)} (UTC).`),
    h(
      "div",
      { class: "figures" },
      figure("events", "events", count(r.events)),
      figure("unknown-item-share", "for unknown items", percent(r.unknown_item_share)),
      figure("new-user-share", "from new users", percent(r.new_user_share)),
      figure("invalid-event-share", "refused as invalid", percent(r.invalid_event_share)),
      figure("alerts", "alerts", count(alerts.length)),
    ),
    section(
      "Alerts",
      alerts.length === 0
        ? notice("No check is past its threshold.")
        : h("ul", { "data-list": "alerts" }, ...alerts.map((a) => h("li", { class: "alert" }, h("strong", {}, a.check), `: ${a.message}`))),
    ),
    section("Drift against the training window (population stability index)", driftView(drift)),
    section(
      "Events by type",
      table(
        ["type", "events"],
        Object.entries(r.by_type).map(([type, n]) => [type, count(n)]),
        { "data-table": "by-type" },
      ),
    ),
  );
  return undefined;
};

function driftView(d: DriftReport): HTMLElement {
  if (!d.reference) return notice("No champion yet: nothing to compare the recent events with.");
  const caption = h(
    "p",
    { "data-figure": "drift-windows" },
    `${d.reference.version}'s training window ${time(d.reference.from)} – ${time(d.reference.to)} (${count(d.reference.events)} events) against ${time(d.current.from)} – ${time(d.current.to)} (${count(d.current.events)} events).`,
  );
  if (d.features.length === 0) return h("div", {}, caption, notice("Too few recent events (or none in the training window) to compare yet."));
  const served = d.features.some((f) => f.feature === "served_score" || f.feature.startsWith("ranking_"));
  const note = served
    ? h(
        "p",
        {},
        "served_score and ranking_* compare the first 10 items of the lists served in the window with those of the lists the trainer replayed for the champion at the end of its training window.",
      )
    : null;
  const flagged = new Set(d.alerts.map((a) => a.feature));
  return h(
    "div",
    {},
    caption,
    ...(note ? [note] : []),
    table(
      ["input", "PSI", "status", "largest move"],
      d.features.map((f) => [f.feature, fixed(f.psi, 3), flagged.has(f.feature) ? "drifted" : f.psi > 0.1 ? "moderate" : "stable", largestMove(f.bins)]),
      { "data-table": "drift" },
    ),
  );
}

/** The bin whose share changed most, e.g. "watches 24.8% → 81.2%". */
function largestMove(bins: DriftReport["features"][number]["bins"]): string {
  const top = [...bins].sort((a, b) => Math.abs(b.current - b.reference) - Math.abs(a.current - a.reference))[0];
  return top ? `${top.bin} ${percent(top.reference, 1)} → ${percent(top.current, 1)}` : "–";
}
