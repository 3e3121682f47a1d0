/** The data-quality checks over the last hour: volume by type, unknown items, new users, and the alerts raised. */
import { get } from "../api.js";
import type { DataQualityReport } from "../api-types.js";
import { figure, h, notice, section, table } from "../dom.js";
import { count, percent, time } from "../format.js";
import type { Page } from "../page.js";

export const dataQualityPage: Page = async (root) => {
  const r = await get<DataQualityReport>("/api/v1/data-quality?hours=1");
  root.replaceChildren(
    h("p", {}, `Events with a timestamp from ${time(r.from)} to ${time(r.to)} (UTC).`),
    h(
      "div",
      { class: "figures" },
      figure("events", "events", count(r.events)),
      figure("unknown-item-share", "for unknown items", percent(r.unknown_item_share)),
      figure("new-user-share", "from new users", percent(r.new_user_share)),
      figure("alerts", "alerts", count(r.alerts.length)),
    ),
    section(
      "Alerts",
      r.alerts.length === 0
        ? notice("No check is past its threshold.")
        : h("ul", { "data-list": "alerts" }, ...r.alerts.map((a) => h("li", { class: "alert" }, h("strong", {}, a.check), `: ${a.message}`))),
    ),
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
