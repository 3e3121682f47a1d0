/**
 * Loads the demo data through the public APIs, like a real client would: the catalog
 * into the backend (chunks of 1000), the events into the edge (chunks of 500), so the
 * edge's intake, queue, feature store and the backend's ingest all see them. Does
 * nothing when the backend already has a catalog.
 */
import { MAX_ITEMS_PER_UPSERT } from "../../models/catalog.js";
import { MAX_EVENTS_PER_REQUEST } from "../../models/events.js";
import { describeError } from "../describe-error.js";
import { generateDemoData, type DemoData } from "./generate-demo-data.js";

export interface LoadDemoOptions {
  backendUrl: string;
  edgeUrl: string;
  /** Needs `admin` (catalog upsert). */
  adminKey: string;
  /** Needs `events:write`. */
  clientKey: string;
  /** Default: generateDemoData(). */
  data?: DemoData;
  onProgress?: (line: string) => void;
  /** Attempts per chunk on 429, 5xx or a network error. Default 5. */
  attempts?: number;
  retryDelayMs?: number;
}

export interface LoadDemoResult {
  loaded: boolean;
  /** Why nothing was loaded, when so. */
  skipped?: string;
  items: number;
  events: { sent: number; accepted: number; duplicates: number; rejected: number };
}

export class DemoLoadError extends Error {
  override readonly name = "DemoLoadError";
}

export async function loadDemoData(options: LoadDemoOptions): Promise<LoadDemoResult> {
  const progress = options.onProgress ?? (() => {});
  const empty = { sent: 0, accepted: 0, duplicates: 0, rejected: 0 };
  if (await backendHasItems(options)) {
    progress("the backend already has a catalog; demo data not loaded");
    return { loaded: false, skipped: "the backend already has items", items: 0, events: empty };
  }
  const data = options.data ?? generateDemoData();
  const items = await loadCatalog(options, data, progress);
  const events = await loadEvents(options, data, progress);
  progress(`demo data loaded: ${items} items, ${events.accepted} events accepted (${events.duplicates} duplicates, ${events.rejected} rejected)`);
  return { loaded: true, items, events };
}

async function backendHasItems(options: LoadDemoOptions): Promise<boolean> {
  const response = await send(options, `${options.backendUrl}/api/v1/catalog/items?limit=1`, { headers: auth(options.adminKey) });
  const body = (await response.json()) as { items?: unknown[] };
  return Array.isArray(body.items) && body.items.length > 0;
}

async function loadCatalog(options: LoadDemoOptions, data: DemoData, progress: (line: string) => void): Promise<number> {
  let upserted = 0;
  for (const chunk of chunks(data.items, MAX_ITEMS_PER_UPSERT)) {
    const response = await send(options, `${options.backendUrl}/api/v1/catalog/items`, post(options.adminKey, { items: chunk }));
    const body = (await response.json()) as { upserted: number; feature_store: string };
    upserted += body.upserted;
    progress(`catalog: ${upserted}/${data.items.length} items (feature store ${body.feature_store})`);
  }
  return upserted;
}

async function loadEvents(options: LoadDemoOptions, data: DemoData, progress: (line: string) => void) {
  const totals = { sent: 0, accepted: 0, duplicates: 0, rejected: 0 };
  const batches = chunks(data.events, MAX_EVENTS_PER_REQUEST);
  for (const [i, chunk] of batches.entries()) {
    const response = await send(options, `${options.edgeUrl}/v1/events`, post(options.clientKey, { events: chunk }));
    const body = (await response.json()) as { accepted: number; duplicates: number; rejected: Array<{ index: number; error: string }> };
    totals.sent += chunk.length;
    totals.accepted += body.accepted;
    totals.duplicates += body.duplicates;
    totals.rejected += body.rejected.length;
    if (body.rejected.length > 0 && totals.rejected === body.rejected.length) {
      progress(`events: the edge rejected some, first: #${body.rejected[0]!.index}: ${body.rejected[0]!.error}`);
    }
    // Every tenth batch and the last, so the log stays readable.
    if (i % 10 === 9 || i === batches.length - 1) progress(`events: ${totals.sent}/${data.events.length} sent`);
  }
  return totals;
}

/** Retries what a restarting or busy service answers; anything else is a bug worth stopping for. */
async function send(options: LoadDemoOptions, url: string, init: RequestInit): Promise<Response> {
  const attempts = options.attempts ?? 5;
  let reason = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(url, init);
      if (response.ok) return response;
      reason = `${response.status} ${await response.text()}`;
      if (response.status !== 429 && response.status < 500) break;
    } catch (error) {
      reason = describeError(error);
    }
    if (attempt < attempts) await new Promise((r) => setTimeout(r, (options.retryDelayMs ?? 500) * 2 ** (attempt - 1)));
  }
  throw new DemoLoadError(`${init.method ?? "GET"} ${url} failed: ${reason.slice(0, 500)}`);
}

function auth(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

function post(key: string, body: unknown): RequestInit {
  return { method: "POST", headers: { ...auth(key), "content-type": "application/json" }, body: JSON.stringify(body) };
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
