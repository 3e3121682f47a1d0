/** How figures are written on every page (the tests read them back with the same functions). No DOM here. */
import type { MetricsRow } from "./api-types.js";

/** The registry's gated figures: NDCG@10 and Recall@20 of warm users. */
export function gated(rows: readonly MetricsRow[], metric: "ndcg" | "recall"): number | null {
  const k = metric === "ndcg" ? 10 : 20;
  const row = rows.find((r) => r.group === "warm" && r.k === k);
  return row ? row[metric] : null;
}

export function fixed(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits);
}

export function percent(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : `${(100 * x).toFixed(digits)}%`;
}

export function count(x: number | null | undefined): string {
  return x === null || x === undefined ? "–" : x.toLocaleString("en-US");
}

export function ms(x: number | null | undefined): string {
  return x === null || x === undefined ? "–" : `${x.toFixed(2)} ms`;
}

export function perSecond(x: number): string {
  return `${x.toFixed(2)}/s`;
}

/** 2026-06-01 12:00:00 (UTC): an operator compares these with logs, which are in UTC. */
export function time(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : "–";
}
