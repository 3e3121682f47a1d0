/** Human-readable reasons: "Because you viewed Trail running shoe 3". */
import type { EdgeItemRecord } from "../../models/catalog.js";
import type { Reason } from "./score.js";

const VERBS: Record<string, string> = {
  view: "viewed",
  click: "viewed",
  add_to_cart: "added",
  purchase: "bought",
  rating: "rated",
  watch: "watched",
  wishlist: "saved",
};

export function reasonText(reason: Reason, records: ReadonlyMap<string, EdgeItemRecord>): string {
  switch (reason.kind) {
    case "cf":
      return "Picked for you from your recent activity";
    case "trending":
      return "Trending now";
    case "popular":
      return "Popular this week";
    case "anchor": {
      const name = records.get(reason.anchor.item_id)?.title ?? reason.anchor.item_id;
      if (reason.source === "co_purchase") return `Often bought with ${name}`;
      return `Because you ${VERBS[reason.anchor.type] ?? "viewed"} ${name}`;
    }
  }
}
