/**
 * Readers for the MovieLens rating datasets (Harper & Konstan, "The MovieLens Datasets:
 * History and Context", ACM TiiS 5(4), 2015; GroupLens, University of Minnesota) as
 * interactions and catalog items for offline evaluation.
 *
 * Ratings, detected from the first line:
 * - `u.data` (ML-100K): `user \t item \t rating \t timestamp`, no header.
 * - `ratings.csv` (ML-20M, ML-25M, ml-latest): header `userId,movieId,rating,timestamp`.
 * - `ratings.dat` (ML-1M, ML-10M): `user::item::rating::timestamp`.
 * Timestamps are Unix seconds; interactions carry milliseconds, as the service does.
 *
 * Items (optional), detected from the first line:
 * - `u.item` (ML-100K, Latin-1): `id|title|release date|video release date|IMDb URL|`
 *   followed by 19 genre flags in the order of `u.genre` (U_ITEM_GENRES).
 * - `movies.csv` (UTF-8, RFC 4180 quoting): header `movieId,title,genres`, genres
 *   separated by `|`.
 * - `movies.dat` (Latin-1): `id::title::genres`.
 * Each becomes `{item_id, title, category: first genre, tags: all genres}`. The
 * placeholder genres ("unknown" in u.item, "(no genres listed)" in movies.csv) are
 * dropped: they are the absence of a genre, and as a category they would make
 * unrelated films look alike to content similarity.
 *
 * Choices:
 * - Ratings ≥ minRating (default 4) become positive interactions of weight 1; lower
 *   ratings are dropped. This is the usual implicit-feedback protocol on MovieLens
 *   (e.g. Liang, Krishnan, Hoffman & Jebara, "Variational autoencoders for
 *   collaborative filtering", WWW 2018: "we binarize the explicit data by keeping
 *   ratings of four or higher and interpret them as implicit feedback"): the
 *   question evaluated is "which films will the user watch and like next", the same
 *   top-N question as for purchases, and every model here learns from positive
 *   feedback only. A 2-star rating means the user watched the film but disliked it;
 *   counting it as positive would reward recommending it, counting it as a strong
 *   negative is something none of these models can express, so it is left out.
 *   Weight 1 for every kept rating because the rating has already been used by the
 *   threshold: popularity then counts users who liked an item, not stars.
 * - Files are streamed line by line (plain or .gz), so memory holds the result, not
 *   the text. Every file is read as Latin-1, which maps each byte to one character and
 *   so never fails; lines of the UTF-8 formats are re-decoded from those bytes. Line
 *   breaks are the same bytes in both encodings, so lines split identically.
 * - Malformed input is an error naming the file and the line, never skipped: a rating
 *   dump with a broken line is a broken download, and silently evaluating on part of
 *   it would give numbers nobody can reproduce. Blank lines are ignored.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import type { CatalogItem } from "../../models/catalog.js";
import type { Interaction } from "./interactions.js";
import { parseCsvRecord } from "./online-retail.js";

export type RatingsFormat = "u.data" | "ratings.csv" | "ratings.dat";
export type ItemsFormat = "u.item" | "movies.csv" | "movies.dat";

/** The genre flags of u.item, in file order (ML-100K u.genre). */
export const U_ITEM_GENRES = [
  "unknown",
  "Action",
  "Adventure",
  "Animation",
  "Children's",
  "Comedy",
  "Crime",
  "Documentary",
  "Drama",
  "Fantasy",
  "Film-Noir",
  "Horror",
  "Musical",
  "Mystery",
  "Romance",
  "Sci-Fi",
  "Thriller",
  "War",
  "Western",
] as const;

const NO_GENRE = new Set(["unknown", "(no genres listed)"]);

export const DEFAULT_MIN_RATING = 4;

export interface MovieLensReadOptions {
  /** Ratings at or above this are positive interactions. Default 4. */
  readonly minRating?: number;
  /** Weight of each positive interaction. Default 1. */
  readonly weight?: number;
}

export interface RatingsReadStats {
  readonly format: RatingsFormat;
  /** Rating lines read. */
  readonly ratings: number;
  /** Ratings ≥ minRating, kept as interactions. */
  readonly kept: number;
  readonly belowThreshold: number;
}

/** Malformed input, with where it is. */
export class MovieLensFormatError extends SyntaxError {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = "MovieLensFormatError";
  }
}

/** Lines of a file, plain or gzip, decoded as Latin-1 (see the header). */
export function fileLines(path: string): AsyncIterable<string> {
  const file = createReadStream(path);
  const input = path.endsWith(".gz") ? file.pipe(createGunzip()) : file;
  file.on("error", (e) => input.destroy(e));
  input.setEncoding("latin1");
  return createInterface({ input, crlfDelay: Infinity });
}

function utf8(latin1Line: string): string {
  return Buffer.from(latin1Line, "latin1").toString("utf8");
}

const INTEGER = /^\d+$/;

/** Ratings are tab-, "::"- or comma-separated; which one, from the first line. */
export function detectRatingsFormat(firstLine: string): RatingsFormat | null {
  const line = firstLine.replace(/^\uFEFF/, "");
  if (/(^|,)\s*userId\s*(,|$)/i.test(line)) return "ratings.csv";
  if (line.includes("\t")) return "u.data";
  if (line.includes("::")) return "ratings.dat";
  return null;
}

export function detectItemsFormat(firstLine: string): ItemsFormat | null {
  const line = firstLine.replace(/^\uFEFF/, "");
  if (/(^|,)\s*movieId\s*(,|$)/i.test(line)) return "movies.csv";
  if (line.includes("::")) return "movies.dat";
  if (line.includes("|")) return "u.item";
  return null;
}

const RATING_COLUMNS = ["userId", "movieId", "rating", "timestamp"] as const;

/**
 * Interactions from the lines of a ratings file; `file` names it in errors. The
 * format is detected from the first non-blank line.
 */
export async function ratingsFromLines(
  lines: AsyncIterable<string> | Iterable<string>,
  file: string,
  options: MovieLensReadOptions = {},
): Promise<{ interactions: Interaction[]; stats: RatingsReadStats }> {
  const minRating = options.minRating ?? DEFAULT_MIN_RATING;
  const weight = options.weight ?? 1;
  if (!Number.isFinite(minRating)) throw new RangeError(`minRating must be a number, got ${minRating}`);
  if (!(weight > 0)) throw new RangeError(`weight must be > 0, got ${weight}`);
  const interactions: Interaction[] = [];
  let format: RatingsFormat | null = null;
  let csvColumns: number[] = [];
  let csvWidth = 0;
  let ratings = 0;
  let below = 0;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") continue;
    const fail = (problem: string): never => {
      throw new MovieLensFormatError(file, lineNo, problem);
    };
    if (format === null) {
      format = detectRatingsFormat(line);
      if (format === null) {
        fail(
          "not a MovieLens ratings file: expected u.data (user<TAB>item<TAB>rating<TAB>timestamp), ratings.csv (header userId,movieId,rating,timestamp) or ratings.dat (user::item::rating::timestamp)",
        );
      }
      if (format === "ratings.csv") {
        const header = line
          .replace(/^\uFEFF/, "")
          .split(",")
          .map((h) => h.trim());
        csvColumns = RATING_COLUMNS.map((c) => {
          const i = header.indexOf(c);
          if (i < 0) fail(`ratings.csv header lacks column ${c}: ${line}`);
          return i;
        });
        csvWidth = header.length;
        continue;
      }
    }
    let fields: string[];
    if (format === "ratings.csv") {
      const all = line.split(",");
      if (all.length !== csvWidth) fail(`expected ${csvWidth} comma-separated fields, got ${all.length}`);
      fields = csvColumns.map((c) => all[c]!);
    } else {
      fields = line.split(format === "u.data" ? "\t" : "::");
      if (fields.length !== 4) {
        fail(`expected 4 ${format === "u.data" ? "tab" : "'::'"}-separated fields (user item rating timestamp), got ${fields.length}`);
      }
    }
    const [user, item, ratingText, tsText] = fields.map((f) => f.trim()) as [string, string, string, string];
    if (!INTEGER.test(user)) fail(`user id must be a whole number, got "${user}"`);
    if (!INTEGER.test(item)) fail(`item id must be a whole number, got "${item}"`);
    const rating = Number(ratingText);
    if (ratingText === "" || !Number.isFinite(rating)) fail(`rating must be a number, got "${ratingText}"`);
    if (!INTEGER.test(tsText)) fail(`timestamp must be whole Unix seconds, got "${tsText}"`);
    ratings++;
    if (rating < minRating) {
      below++;
      continue;
    }
    interactions.push({ user_id: user, item_id: item, ts: Number(tsText) * 1000, weight });
  }
  if (format === null) throw new MovieLensFormatError(file, lineNo, "file has no ratings");
  return { interactions, stats: { format, ratings, kept: interactions.length, belowThreshold: below } };
}

export async function readMovieLensRatings(
  path: string,
  options: MovieLensReadOptions = {},
): Promise<{ interactions: Interaction[]; stats: RatingsReadStats }> {
  return ratingsFromLines(fileLines(path), path, options);
}

function catalogItem(id: string, title: string, genres: readonly string[]): CatalogItem {
  const kept = genres.map((g) => g.trim()).filter((g) => g !== "" && !NO_GENRE.has(g));
  return kept.length > 0 ? { item_id: id, title, category: kept[0]!, tags: kept } : { item_id: id, title };
}

/** Catalog items from the lines of an items file (format detected from the first line). */
export async function itemsFromLines(lines: AsyncIterable<string> | Iterable<string>, file: string): Promise<{ items: CatalogItem[]; format: ItemsFormat }> {
  const items: CatalogItem[] = [];
  let format: ItemsFormat | null = null;
  let lineNo = 0;
  // movies.csv may quote a line break; such a record is reported at the line it starts on.
  let pending: { text: string; line: number } | null = null;
  for await (const raw of lines) {
    lineNo++;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (pending === null && line.trim() === "") continue;
    const fail = (problem: string, at = lineNo): never => {
      throw new MovieLensFormatError(file, at, problem);
    };
    if (format === null) {
      format = detectItemsFormat(line);
      if (format === null) {
        fail(
          "not a MovieLens items file: expected u.item (id|title|…|19 genre flags), movies.csv (header movieId,title,genres) or movies.dat (id::title::genres)",
        );
      }
      if (format === "movies.csv") continue;
    }
    let id: string;
    let title: string;
    let genres: string[];
    let at = lineNo;
    if (format === "u.item") {
      const fields = line.split("|");
      const expected = 5 + U_ITEM_GENRES.length;
      if (fields.length !== expected)
        fail(`expected ${expected} '|'-separated fields (id|title|release|video release|url|19 genre flags), got ${fields.length}`);
      [id, title] = [fields[0]!.trim(), fields[1]!.trim()];
      const flags = fields.slice(5);
      const bad = flags.findIndex((f) => f.trim() !== "0" && f.trim() !== "1");
      if (bad >= 0) fail(`genre flag ${bad + 1} (${U_ITEM_GENRES[bad]}) must be 0 or 1, got "${flags[bad]}"`);
      genres = U_ITEM_GENRES.filter((_, g) => flags[g]!.trim() === "1");
    } else if (format === "movies.dat") {
      const fields = line.split("::");
      if (fields.length !== 3) fail(`expected 3 '::'-separated fields (id::title::genres), got ${fields.length}`);
      [id, title] = [fields[0]!.trim(), fields[1]!.trim()];
      genres = fields[2]!.split("|");
    } else {
      const text: string = pending === null ? utf8(line) : `${pending.text}\n${utf8(line)}`;
      at = pending?.line ?? lineNo;
      const fields = parseCsvRecord(text);
      if (fields === null) {
        pending = { text, line: at };
        continue;
      }
      pending = null;
      if (fields.length !== 3) fail(`expected 3 fields (movieId,title,genres), got ${fields.length}`, at);
      [id, title] = [fields[0]!.trim(), fields[1]!.trim()];
      genres = fields[2]!.split("|");
    }
    if (!INTEGER.test(id)) fail(`movie id must be a whole number, got "${id}"`, at);
    if (title === "") fail(`movie ${id} has an empty title`, at);
    items.push(catalogItem(id, title, genres));
  }
  if (pending !== null) throw new MovieLensFormatError(file, pending.line, "quoted field is never closed");
  if (format === null) throw new MovieLensFormatError(file, lineNo, "file has no items");
  return { items, format };
}

export async function readMovieLensItems(path: string): Promise<{ items: CatalogItem[]; format: ItemsFormat }> {
  return itemsFromLines(fileLines(path), path);
}
