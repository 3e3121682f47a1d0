/**
 * Reader for the UCI Online Retail dataset (Chen, Sain & Guo, "Data mining for the online
 * retail industry", J. Database Marketing & Customer Strategy Management 19(3), 2012;
 * UCI dataset 352, CC BY 4.0) as purchase interactions for offline evaluation.
 *
 * Columns are found by header name: InvoiceNo, StockCode, Quantity, InvoiceDate,
 * CustomerID. The file is streamed line by line (gzip or plain), so memory holds the
 * interactions, not the text.
 *
 * Choices:
 * - Dropped rows: no CustomerID (guest checkouts cannot be a user), cancellations
 *   (InvoiceNo starting with "C"), non-positive quantities (returns and stock
 *   adjustments), and service codes that are not products (postage, carriage, manual
 *   adjustments, bank charges, fees, samples). Postage alone is on ~1,200 lines and would
 *   top every popularity list. `keepServiceCodes: true` keeps them.
 * - Each remaining invoice line is one purchase interaction with the shared purchase
 *   weight; quantity is not used as a weight because wholesale buyers order by the
 *   dozen and would drown out everyone else.
 * - StockCode is upper-cased (the file spells some codes both ways, e.g. "85049a" and
 *   "85049A"); a CustomerID like "17850.0" (spreadsheet conversions) becomes "17850".
 * - InvoiceDate is the shop's wall-clock time with no zone; it is read as if it were UTC,
 *   which keeps the order of events (all the split needs) and makes the result the same
 *   on every machine. Both "2010-12-01 08:26:00" and the UCI spreadsheet's
 *   "12/1/2010 8:26" forms are accepted.
 * - CSV per RFC 4180: quoted fields, "" for a quote, commas and line breaks inside quotes.
 *   A record that cannot be parsed is counted as malformed, never guessed at.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { DEFAULT_EVENT_WEIGHTS } from "../../models/events.js";
import type { Interaction } from "./interactions.js";

export const DEFAULT_ONLINE_RETAIL_PATH = new URL("../../../shared/datasets/online-retail/online-retail.csv.gz", import.meta.url);

const SERVICE_CODES = new Set(["POST", "DOT", "C2", "M", "D", "S", "B", "CRUK", "PADS", "AMAZONFEE", "BANK CHARGES"]);

export type DropReason = "noCustomer" | "cancelled" | "nonPositiveQuantity" | "serviceCode" | "malformed";

export interface RetailReadStats {
  records: number;
  kept: number;
  dropped: Record<DropReason, number>;
}

export interface RetailReadOptions {
  readonly keepServiceCodes?: boolean;
  readonly weight?: number;
}

/**
 * Splits one CSV record. Returns null when a quoted field is still open at the end,
 * meaning the record continues on the next line.
 */
export function parseCsvRecord(text: string): string[] | null {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (ch === '"') {
      // RFC 4180 only allows quotes around a whole field; a stray one inside an unquoted
      // field is read as toggling, which keeps the parse total and the result visible.
      quoted = !quoted;
    } else if (ch === "," && !quoted) {
      fields.push(field);
      field = "";
    } else {
      field += ch;
    }
  }
  if (quoted) return null;
  fields.push(field);
  return fields;
}

/** Joins physical lines into CSV records, so quoted line breaks survive. */
export async function* csvRecords(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<string[]> {
  let pending: string | null = null;
  for await (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const text: string = pending === null ? line : `${pending}\n${line}`;
    const fields = parseCsvRecord(text);
    if (fields === null) {
      pending = text;
      continue;
    }
    pending = null;
    if (text.length > 0) yield fields;
  }
  if (pending !== null) throw new SyntaxError("CSV ends inside a quoted field");
}

/** Wall-clock date as if UTC; NaN when it is neither supported form. */
export function parseRetailDate(text: string): number {
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (iso) return utc(+iso[1]!, +iso[2]!, +iso[3]!, +iso[4]!, +iso[5]!, +(iso[6] ?? 0));
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (us) return utc(+us[3]!, +us[1]!, +us[2]!, +us[4]!, +us[5]!, +(us[6] ?? 0));
  return NaN;
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  // Date.UTC rolls 2011-02-31 over to March; a real date round-trips.
  return back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 && s < 60 ? t : NaN;
}

const REQUIRED = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "CustomerID"] as const;
type Columns = Record<(typeof REQUIRED)[number], number>;

export function columnsOf(header: readonly string[]): Columns {
  const at = (name: string) => {
    const i = header.findIndex((h) => h.trim().replace(/^\uFEFF/, "") === name);
    if (i < 0) throw new SyntaxError(`online retail header lacks column ${name}: ${header.join(",")}`);
    return i;
  };
  return Object.fromEntries(REQUIRED.map((c) => [c, at(c)])) as Columns;
}

/** One data record → an interaction, or why it was left out. */
export function parseRetailRecord(fields: readonly string[], columns: Columns, options: RetailReadOptions = {}): Interaction | DropReason {
  const get = (c: keyof Columns) => fields[columns[c]]?.trim();
  const invoice = get("InvoiceNo");
  const code = get("StockCode")?.toUpperCase();
  const quantity = Number(get("Quantity"));
  const customer = get("CustomerID")?.replace(/\.0+$/, "");
  const ts = parseRetailDate(get("InvoiceDate") ?? "");
  if (invoice === undefined || !code || Number.isNaN(quantity) || Number.isNaN(ts)) return "malformed";
  if (!customer) return "noCustomer";
  if (invoice.toUpperCase().startsWith("C")) return "cancelled";
  if (!(quantity > 0)) return "nonPositiveQuantity";
  if (!options.keepServiceCodes && SERVICE_CODES.has(code)) return "serviceCode";
  return { user_id: customer, item_id: code, ts, weight: options.weight ?? DEFAULT_EVENT_WEIGHTS.purchase };
}

export async function interactionsFromLines(
  lines: AsyncIterable<string> | Iterable<string>,
  options: RetailReadOptions = {},
): Promise<{ interactions: Interaction[]; stats: RetailReadStats }> {
  const stats: RetailReadStats = {
    records: 0,
    kept: 0,
    dropped: { noCustomer: 0, cancelled: 0, nonPositiveQuantity: 0, serviceCode: 0, malformed: 0 },
  };
  const interactions: Interaction[] = [];
  let columns: Columns | null = null;
  for await (const fields of csvRecords(lines)) {
    if (columns === null) {
      columns = columnsOf(fields);
      continue;
    }
    stats.records++;
    const r = parseRetailRecord(fields, columns, options);
    if (typeof r === "string") {
      stats.dropped[r]++;
    } else {
      interactions.push(r);
      stats.kept++;
    }
  }
  if (columns === null) throw new SyntaxError("online retail file is empty");
  return { interactions, stats };
}

export async function readOnlineRetail(
  path: string | URL = DEFAULT_ONLINE_RETAIL_PATH,
  options: RetailReadOptions = {},
): Promise<{ interactions: Interaction[]; stats: RetailReadStats }> {
  const file = createReadStream(path);
  const text = String(path).endsWith(".gz") ? file.pipe(createGunzip()) : file;
  file.on("error", (e) => text.destroy(e));
  const lines = createInterface({ input: text, crlfDelay: Infinity });
  return interactionsFromLines(lines, options);
}
