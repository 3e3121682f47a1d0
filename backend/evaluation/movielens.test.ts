import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  MovieLensFormatError,
  detectItemsFormat,
  detectRatingsFormat,
  itemsFromLines,
  ratingsFromLines,
  readMovieLensItems,
  readMovieLensRatings,
} from "./movielens.js";

const lines = (text: string) => text.split("\n");

// First lines of ML-100K u.data, plus a 3-star rating that falls under the threshold.
const U_DATA =
  "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n244\t51\t2\t880606923\n166\t346\t1\t886397596\n298\t474\t4\t884182806\n115\t265\t5\t881171488\n";
const RATINGS_CSV = "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,3,3.5,964981247\r\n1,6,4.5,964982224\r\n\r\n2,333,5.0,1445714835\r\n";
const RATINGS_DAT = "1::1193::5::978300760\n1::661::3::978302109\n1::914::3::978301968\n1::3408::4::978300275\n";

// u.item lines keep the real layout: 5 fields then 19 genre flags (unknown, Action, Adventure, Animation, Children's, Comedy, …).
const U_ITEM = [
  "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0",
  "2|GoldenEye (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?GoldenEye%20(1995)|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0",
  "267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0",
].join("\n");
const MOVIES_CSV = [
  "movieId,title,genres",
  "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy",
  '11,"American President, The (1995)",Comedy|Drama|Romance',
  '7,"Sabrina ""the remake"" (1995)",Comedy|Romance',
  "182727,Kidnapped in Romania (2016),(no genres listed)",
].join("\n");
const MOVIES_DAT = "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure|Children's|Fantasy\n";

describe("format detection", () => {
  it("tells the ratings and items formats apart by their first line", () => {
    expect(detectRatingsFormat("196\t242\t3\t881250949")).toBe("u.data");
    expect(detectRatingsFormat("\uFEFFuserId,movieId,rating,timestamp")).toBe("ratings.csv");
    expect(detectRatingsFormat("1::1193::5::978300760")).toBe("ratings.dat");
    expect(detectRatingsFormat("InvoiceNo,StockCode")).toBeNull();
    expect(detectItemsFormat("movieId,title,genres")).toBe("movies.csv");
    expect(detectItemsFormat("1::Toy Story (1995)::Comedy")).toBe("movies.dat");
    expect(detectItemsFormat(U_ITEM.split("\n")[0]!)).toBe("u.item");
  });
});

describe("ratingsFromLines", () => {
  it("reads u.data: ratings ≥ 4 become weight-1 interactions, timestamps in ms", async () => {
    const { interactions, stats } = await ratingsFromLines(lines(U_DATA), "u.data");
    expect(interactions).toEqual([
      { user_id: "298", item_id: "474", ts: 884182806000, weight: 1 },
      { user_id: "115", item_id: "265", ts: 881171488000, weight: 1 },
    ]);
    expect(stats).toEqual({ format: "u.data", ratings: 7, kept: 2, belowThreshold: 5 });
  });

  it("honours minRating and weight", async () => {
    const { interactions } = await ratingsFromLines(lines(U_DATA), "u.data", { minRating: 3, weight: 10 });
    expect(interactions.map((e) => e.item_id)).toEqual(["242", "302", "474", "265"]);
    expect(interactions.every((e) => e.weight === 10)).toBe(true);
  });

  it("reads ratings.csv with half stars, CRLF and blank lines", async () => {
    const { interactions, stats } = await ratingsFromLines(lines(RATINGS_CSV), "ratings.csv");
    expect(interactions.map((e) => [e.user_id, e.item_id, e.ts])).toEqual([
      ["1", "1", 964982703000],
      ["1", "6", 964982224000],
      ["2", "333", 1445714835000],
    ]);
    expect(stats).toMatchObject({ format: "ratings.csv", ratings: 4, kept: 3, belowThreshold: 1 });
  });

  it("reads ratings.csv columns by name", async () => {
    const { interactions } = await ratingsFromLines(["timestamp,rating,movieId,userId", "964982703,5,10,7"], "r.csv");
    expect(interactions).toEqual([{ user_id: "7", item_id: "10", ts: 964982703000, weight: 1 }]);
  });

  it("reads ratings.dat", async () => {
    const { interactions, stats } = await ratingsFromLines(lines(RATINGS_DAT), "ratings.dat");
    expect(interactions.map((e) => e.item_id)).toEqual(["1193", "3408"]);
    expect(stats.format).toBe("ratings.dat");
  });

  it("names the file and line of malformed input", async () => {
    const bad = async (text: string, file = "u.data") => ratingsFromLines(lines(text), file);
    await expect(bad("1\t2\t4\t100\n1\t2\t4\n")).rejects.toThrow("u.data:2: expected 4 tab-separated fields (user item rating timestamp), got 3");
    await expect(bad("1\t2\t4\t100\n\n1\tx\t4\t100")).rejects.toThrow('u.data:3: item id must be a whole number, got "x"');
    await expect(bad("1\t2\tfive\t100")).rejects.toThrow('u.data:1: rating must be a number, got "five"');
    await expect(bad("1\t2\t4\t2001-01-01")).rejects.toThrow("u.data:1: timestamp must be whole Unix seconds");
    await expect(bad("userId,movieId,rating\n1,2,4", "ratings.csv")).rejects.toThrow("ratings.csv:1: ratings.csv header lacks column timestamp");
    await expect(bad("userId,movieId,rating,timestamp\n1,2,4,5,6", "ratings.csv")).rejects.toThrow("ratings.csv:2: expected 4 comma-separated fields, got 5");
    await expect(bad("hello world")).rejects.toThrow(/u\.data:1: not a MovieLens ratings file/);
    await expect(bad("")).rejects.toThrow("u.data:1: file has no ratings");
    await expect(bad("1\t2\t4\t100\n1\t2\t4")).rejects.toBeInstanceOf(MovieLensFormatError);
  });
});

describe("itemsFromLines", () => {
  it("reads u.item: first genre is the category, all genres the tags, 'unknown' dropped", async () => {
    const { items, format } = await itemsFromLines(lines(U_ITEM), "u.item");
    expect(format).toBe("u.item");
    expect(items).toEqual([
      { item_id: "1", title: "Toy Story (1995)", category: "Animation", tags: ["Animation", "Children's", "Comedy"] },
      { item_id: "2", title: "GoldenEye (1995)", category: "Action", tags: ["Action", "Adventure", "Thriller"] },
      { item_id: "267", title: "unknown" },
    ]);
  });

  it("reads movies.csv with quoted titles and no-genre placeholders", async () => {
    const { items, format } = await itemsFromLines(lines(MOVIES_CSV), "movies.csv");
    expect(format).toBe("movies.csv");
    expect(items).toEqual([
      { item_id: "1", title: "Toy Story (1995)", category: "Adventure", tags: ["Adventure", "Animation", "Children", "Comedy", "Fantasy"] },
      { item_id: "11", title: "American President, The (1995)", category: "Comedy", tags: ["Comedy", "Drama", "Romance"] },
      { item_id: "7", title: 'Sabrina "the remake" (1995)', category: "Comedy", tags: ["Comedy", "Romance"] },
      { item_id: "182727", title: "Kidnapped in Romania (2016)" },
    ]);
  });

  it("reads movies.dat", async () => {
    const { items } = await itemsFromLines(lines(MOVIES_DAT), "movies.dat");
    expect(items[1]).toEqual({ item_id: "2", title: "Jumanji (1995)", category: "Adventure", tags: ["Adventure", "Children's", "Fantasy"] });
  });

  it("names the file and line of malformed input", async () => {
    const bad = async (text: string, file: string) => itemsFromLines(lines(text), file);
    await expect(bad(`${U_ITEM}\n3|Short|x`, "u.item")).rejects.toThrow("u.item:4: expected 24 '|'-separated fields");
    await expect(bad(U_ITEM.replace("|0|1|1|0", "|0|1|yes|0"), "u.item")).rejects.toThrow('u.item:2: genre flag 3 (Adventure) must be 0 or 1, got "yes"');
    await expect(bad("movieId,title,genres\n1,,Comedy", "movies.csv")).rejects.toThrow("movies.csv:2: movie 1 has an empty title");
    await expect(bad('movieId,title,genres\n1,"Open (1995),Comedy\n2,B,Drama', "movies.csv")).rejects.toThrow("movies.csv:2: quoted field is never closed");
    await expect(bad("movieId,title,genres\nx1,A,Comedy", "movies.csv")).rejects.toThrow('movies.csv:2: movie id must be a whole number, got "x1"');
    await expect(bad("just text", "items")).rejects.toThrow(/items:1: not a MovieLens items file/);
  });
});

describe("reading files", () => {
  const dir = mkdtempSync(join(tmpdir(), "movielens-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("streams u.data, gzip and Latin-1 u.item from disk", async () => {
    writeFileSync(join(dir, "u.data"), U_DATA);
    writeFileSync(join(dir, "ratings.csv.gz"), gzipSync(RATINGS_CSV));
    // "Misérables" in Latin-1: é is the single byte 0xE9, as in the real u.item.
    const latin1 = Buffer.from("1|Misérables, Les (1995)|01-Jan-1995||url|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n", "latin1");
    writeFileSync(join(dir, "u.item"), latin1);
    writeFileSync(join(dir, "movies.csv"), "movieId,title,genres\n1,Amélie (2001),Comedy|Romance\n");

    expect((await readMovieLensRatings(join(dir, "u.data"))).stats.kept).toBe(2);
    expect((await readMovieLensRatings(join(dir, "ratings.csv.gz"))).stats).toMatchObject({ format: "ratings.csv", kept: 3 });
    expect((await readMovieLensItems(join(dir, "u.item"))).items).toEqual([
      { item_id: "1", title: "Misérables, Les (1995)", category: "Drama", tags: ["Drama"] },
    ]);
    expect((await readMovieLensItems(join(dir, "movies.csv"))).items[0]!.title).toBe("Amélie (2001)");
  });

  it("rejects a missing file", async () => {
    await expect(readMovieLensRatings(join(dir, "nope.data"))).rejects.toThrow(/ENOENT/);
  });
});
