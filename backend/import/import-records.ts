/**
 * The records of an import body, read as a stream so a file of any size takes constant
 * memory: NDJSON (one JSON object per line) or CSV with a header row (csv-parse).
 * Each record comes with its 1-based line number, so a bad row can be named; a record
 * that cannot even be parsed comes as an error for its line, and the stream goes on.
 */
import { pipeline, Readable } from "node:stream";
import { parse } from "csv-parse";
import { ApiError } from "../http/api-error.js";
import { IMPORT_COLUMNS } from "./import-row.js";

export type ImportFormat = "ndjson" | "csv";

export type ImportRecord = { readonly line: number; readonly row: unknown } | { readonly line: number; readonly error: string };

/** Longest line or CSV record accepted; longer ones are reported, not buffered. */
export const MAX_RECORD_BYTES = 64 * 1024;

const REQUIRED_COLUMNS = ["user_id", "item_id", "type", "ts"];

export function importRecords(body: ReadableStream<Uint8Array>, format: ImportFormat): AsyncGenerator<ImportRecord> {
  return format === "csv" ? csvRecords(body) : ndjsonRecords(body);
}

/** A body that fails part-way (client gone, connection cut) aborts the import: nothing is stored. */
function incomplete(cause: unknown): ApiError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new ApiError(400, "incomplete_body", `the import body could not be read to its end (${why}); nothing was stored`, "body");
}

async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  for (;;) {
    let next: Awaited<ReturnType<typeof reader.read>>;
    try {
      next = await reader.read();
    } catch (e) {
      throw incomplete(e);
    }
    if (next.done) return;
    yield next.value;
  }
}

async function* ndjsonRecords(body: ReadableStream<Uint8Array>): AsyncGenerator<ImportRecord> {
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let pending = "";
  let line = 0;
  let skipping = false;
  const parseLine = (text: string): ImportRecord | null => {
    line++;
    if (text.trim() === "") return null;
    try {
      return { line, row: JSON.parse(text) as unknown };
    } catch {
      return { line, error: "is not valid JSON" };
    }
  };
  for await (const chunk of chunksOf(body)) {
    pending += decoder.decode(chunk, { stream: true });
    let nl = pending.indexOf("\n");
    while (nl >= 0) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (skipping) {
        skipping = false;
        line++;
      } else if (text.length > MAX_RECORD_BYTES) {
        // A whole over-long line can arrive in one chunk; it is refused like a partial one.
        line++;
        yield { line, error: `is longer than ${MAX_RECORD_BYTES} bytes` };
      } else {
        const record = parseLine(text);
        if (record) yield record;
      }
      nl = pending.indexOf("\n");
    }
    if (pending.length > MAX_RECORD_BYTES && !skipping) {
      // An over-long line is reported once and skipped to its end, never held whole.
      yield { line: line + 1, error: `is longer than ${MAX_RECORD_BYTES} bytes` };
      skipping = true;
      pending = "";
    } else if (skipping) {
      pending = "";
    }
  }
  pending += decoder.decode();
  if (!skipping) {
    const record = parseLine(pending);
    if (record) yield record;
  }
}

function checkHeader(header: string[]): string[] {
  const columns = header.map((h) => h.trim());
  const unknown = columns.filter((c) => !(IMPORT_COLUMNS as readonly string[]).includes(c));
  if (unknown.length > 0) {
    throw new ApiError(400, "invalid_header", `unknown CSV column ${unknown.join(", ")}; known: ${IMPORT_COLUMNS.join(", ")}`, "header");
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new ApiError(400, "invalid_header", `the CSV header lacks ${missing.join(", ")}`, "header");
  return columns;
}

async function* csvRecords(body: ReadableStream<Uint8Array>): AsyncGenerator<ImportRecord> {
  const skipped: ImportRecord[] = [];
  let headerError: unknown = null;
  const parser = parse({
    bom: true,
    columns: (header: string[]) => {
      try {
        return checkHeader(header);
      } catch (e) {
        headerError = e;
        throw e;
      }
    },
    info: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
  });
  parser.on("skip", (err: Error & { lines?: number }) => {
    skipped.push({ line: err.lines ?? 0, error: err.message.replace(/^Invalid Record Length: /, "") });
  });
  // pipeline, unlike pipe, carries a failing body into the parser, so iteration ends with it.
  pipeline(Readable.from(chunksOf(body)), parser, () => {});
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      while (skipped.length > 0) yield skipped.shift()!;
      yield { line: info.lines, row: record };
    }
  } catch (e) {
    if (headerError) throw headerError;
    if (e instanceof ApiError) throw e;
    const err = e as Error & { code?: string; lines?: number };
    if (err.code?.startsWith("CSV_")) {
      throw new ApiError(400, "invalid_csv", `line ${err.lines ?? "?"}: ${err.message}; nothing was stored`, "body");
    }
    throw incomplete(e);
  }
  while (skipped.length > 0) yield skipped.shift()!;
}
