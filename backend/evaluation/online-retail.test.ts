import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { columnsOf, csvRecords, interactionsFromLines, parseCsvRecord, parseRetailDate, parseRetailRecord, readOnlineRetail } from "./online-retail.js";

const HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";
// Lines in the shape of the real file (first rows of the UCI data, plus one of each kind to drop).
const SAMPLE = [
  HEADER,
  "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom",
  '536381,82567,"AIRLINE LOUNGE,METAL SIGN",2,2010-12-01 09:41:00,2.1,15311,United Kingdom',
  '536477,22041,"RECORD FRAME 7"" SINGLE SIZE",48,2010-12-01 12:27:00,2.1,16210,United Kingdom',
  "536414,22139,,56,2010-12-01 11:52:00,0,,United Kingdom",
  "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527,United Kingdom",
  "536390,85049a,Lowercase code,-12,2010-12-01 10:19:00,0.85,17511,United Kingdom",
  "536370,POST,POSTAGE,3,2010-12-01 08:45:00,18,12583,France",
  "536371,22086,PAPER CHAIN KIT,80,not a date,2.55,13748,United Kingdom",
  '536372,22632,"HAND WARMER',
  'RED POLKA DOT",6,2010-12-01 09:01:00,1.85,17850.0,United Kingdom',
];

const T = (s: string) => Date.parse(`${s}Z`);

describe("parseCsvRecord", () => {
  it("handles quotes, escaped quotes, embedded commas and empty fields", () => {
    expect(parseCsvRecord('a,"b,c","d ""e""",,f')).toEqual(["a", "b,c", 'd "e"', "", "f"]);
    expect(parseCsvRecord("")).toEqual([""]);
    expect(parseCsvRecord('x,"open')).toBeNull();
  });

  it("csvRecords joins a quoted line break and strips CR", async () => {
    const out: string[][] = [];
    for await (const r of csvRecords(['a,"b', 'c",d\r', "", "e"])) out.push(r);
    expect(out).toEqual([["a", "b\nc", "d"], ["e"]]);
  });

  it("csvRecords refuses a file that ends inside quotes", async () => {
    const drain = async () => {
      for await (const _ of csvRecords(['a,"b'])) void _;
    };
    await expect(drain()).rejects.toThrow(SyntaxError);
  });
});

describe("parseRetailDate", () => {
  it("reads both date forms as wall-clock UTC", () => {
    expect(parseRetailDate("2010-12-01 08:26:00")).toBe(T("2010-12-01T08:26:00"));
    expect(parseRetailDate("12/1/2010 8:26")).toBe(T("2010-12-01T08:26:00"));
    expect(parseRetailDate("2011-02-31 10:00:00")).toBeNaN();
    expect(parseRetailDate("yesterday")).toBeNaN();
  });
});

describe("interactionsFromLines", () => {
  it("keeps purchases and counts every kind of drop", async () => {
    const { interactions, stats } = await interactionsFromLines(SAMPLE);
    expect(interactions).toEqual([
      { user_id: "17850", item_id: "85123A", ts: T("2010-12-01T08:26:00"), weight: 10 },
      { user_id: "15311", item_id: "82567", ts: T("2010-12-01T09:41:00"), weight: 10 },
      { user_id: "16210", item_id: "22041", ts: T("2010-12-01T12:27:00"), weight: 10 },
      { user_id: "17850", item_id: "22632", ts: T("2010-12-01T09:01:00"), weight: 10 },
    ]);
    expect(stats).toEqual({
      records: 9,
      kept: 4,
      dropped: { noCustomer: 1, cancelled: 1, nonPositiveQuantity: 1, serviceCode: 1, malformed: 1 },
    });
  });

  it("can keep service codes", async () => {
    const { stats } = await interactionsFromLines(SAMPLE, { keepServiceCodes: true });
    expect(stats.kept).toBe(5);
  });

  it("finds columns by name, whatever their order, and upper-cases codes", () => {
    const cols = columnsOf(["CustomerID", "InvoiceDate", "Quantity", "StockCode", "InvoiceNo"]);
    expect(parseRetailRecord(["1", "2011-01-01 00:00", "1", "85049a", "5"], cols)).toMatchObject({
      user_id: "1",
      item_id: "85049A",
    });
    expect(() => columnsOf(["InvoiceNo"])).toThrow(/StockCode/);
  });

  it("rejects an empty file", async () => {
    await expect(interactionsFromLines([])).rejects.toThrow(/empty/);
  });
});

describe("readOnlineRetail", () => {
  const dir = mkdtempSync(join(tmpdir(), "online-retail-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("streams plain and gzipped files alike", async () => {
    const text = `${SAMPLE.join("\r\n")}\r\n`;
    writeFileSync(join(dir, "r.csv"), text);
    writeFileSync(join(dir, "r.csv.gz"), gzipSync(text));
    const plain = await readOnlineRetail(join(dir, "r.csv"));
    const gz = await readOnlineRetail(join(dir, "r.csv.gz"));
    expect(plain.stats.kept).toBe(4);
    expect(gz).toEqual(plain);
  });

  it("rejects a missing file", async () => {
    await expect(readOnlineRetail(join(dir, "missing.csv.gz"))).rejects.toThrow(/ENOENT/);
  });
});
