/**
 * Unit tests for the metadata filter language: what parses to what, how it evaluates
 * against metadata (missing fields, types, nesting, arrays), and that every unsupported
 * or malformed filter is a message, never an exception.
 */
import { describe, expect, it } from "vitest";
import { MAX_FILTER_DEPTH, matchesFilter, parseFilter, type FilterNode } from "./filter.js";

function parsed(text: string): FilterNode {
  const result = parseFilter(text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${result.error}`);
  if (!result.filter) throw new Error("expected a filter, got none");
  return result.filter;
}

function error(text: string): string {
  const result = parseFilter(text);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to fail`);
  return result.error;
}

const city = {
  city: "Istanbul",
  country: "Turkey",
  is_capital: false,
  population: 15460000,
  geography: { continent: "Asia", coordinates: { latitude: 41.0082 } },
  economy: { major_industries: ["Tourism", "Textiles", "Finance"] },
};

const matches = (text: string, metadata: Record<string, unknown> = city) => matchesFilter(parsed(text), metadata);

describe("parseFilter", () => {
  it("treats an empty or blank filter as no filter", () => {
    expect(parseFilter("")).toEqual({ ok: true, filter: undefined });
    expect(parseFilter("   \n")).toEqual({ ok: true, filter: undefined });
  });

  it("builds comparison, IN and boolean nodes; AND binds tighter than OR", () => {
    expect(parsed("a = 1 OR b = 'x' AND c != true")).toEqual({
      kind: "or",
      children: [
        { kind: "compare", path: ["a"], op: "=", value: 1 },
        {
          kind: "and",
          children: [
            { kind: "compare", path: ["b"], op: "=", value: "x" },
            { kind: "compare", path: ["c"], op: "!=", value: true },
          ],
        },
      ],
    });
    expect(parsed("tag not in ('a', \"b\", -2.5e1)")).toEqual({ kind: "in", path: ["tag"], negated: true, values: ["a", "b", -25] });
  });

  it("reads nested paths, array indexes and escaped quotes", () => {
    expect(parsed("geo.coords[2].lat >= -1")).toEqual({ kind: "compare", path: ["geo", "coords", 2, "lat"], op: ">=", value: -1 });
    expect(parsed(`name = 'O\\'Brien'`)).toEqual({ kind: "compare", path: ["name"], op: "=", value: "O'Brien" });
    expect(parsed(`name = "say \\"hi\\""`)).toEqual({ kind: "compare", path: ["name"], op: "=", value: 'say "hi"' });
  });

  it("keeps long AND chains flat, so evaluation depth does not grow with them", () => {
    const filter = parsed(Array.from({ length: 10_000 }, (_, i) => `f${i} = ${i}`).join(" AND "));
    expect(filter.kind === "and" && filter.children.length).toBe(10_000);
  });

  it("refuses unsupported operators by name", () => {
    expect(error("city GLOB 'I*'")).toMatch(/GLOB is not supported/);
    expect(error("city NOT GLOB 'I*'")).toMatch(/GLOB is not supported/);
    expect(error("tags CONTAINS 'x'")).toMatch(/CONTAINS is not supported/);
    expect(error("HAS FIELD city")).toMatch(/HAS is not supported/);
    expect(error("tags[#-1] = 'x'")).toMatch(/unexpected character "#"/);
  });

  it("explains malformed filters with a position", () => {
    expect(error("population >")).toMatch(/position 12: expected a string, number or boolean after '>', found the end/);
    expect(error("(a = 1")).toMatch(/expected '\)' to close the parenthesis/);
    expect(error("a = 1 b = 2")).toMatch(/unexpected 'b'; expected AND, OR or the end/);
    expect(error("a = 'open")).toMatch(/string literal is not closed/);
    expect(error("a == 1")).toMatch(/expected a string, number or boolean/);
    expect(error("a IN ()")).toMatch(/in the IN list/);
    expect(error("a IN 'x'")).toMatch(/expected '\(' to start the IN list/);
    expect(error("a < 'z'")).toMatch(/compares numbers only/);
    expect(error("= 1")).toMatch(/expected a field name/);
    expect(error("a = 1 AND")).toMatch(/expected a field name, found the end/);
    expect(error("a.[0] = 1")).toMatch(/expected a field name after '.'/);
    expect(error("a[1.5] = 1")).toMatch(/array index/);
    expect(error("a = 1 ; drop")).toMatch(/unexpected character ";"/);
  });

  it(`limits parenthesis nesting to ${MAX_FILTER_DEPTH}`, () => {
    const nested = (depth: number) => `${"(".repeat(depth)}a = 1${")".repeat(depth)}`;
    expect(parseFilter(nested(MAX_FILTER_DEPTH)).ok).toBe(true);
    expect(error(nested(MAX_FILTER_DEPTH + 1))).toMatch(/nest deeper than 64/);
    expect(error(nested(100_000))).toMatch(/nest deeper/);
  });
});

describe("matchesFilter", () => {
  it("evaluates the documented example", () => {
    expect(matches("population >= 1000000 AND geography.continent = 'Asia'")).toBe(true);
    expect(matches("country = 'Turkey' AND population = 15460000 AND is_capital = false")).toBe(true);
    expect(matches("geography.coordinates.latitude > 41 and geography.coordinates.latitude < 41.01")).toBe(true);
    expect(matches("economy.major_industries[1] = 'Textiles'")).toBe(true);
    expect(matches("economy.major_industries[5] = 'Textiles'")).toBe(false);
  });

  it("compares only like with like", () => {
    expect(matches("population = '15460000'")).toBe(false);
    expect(matches("is_capital = 0")).toBe(false);
    expect(matches("city > 1")).toBe(false);
    expect(matches("city != 'Ankara'")).toBe(true);
    expect(matches("city != 'Istanbul'")).toBe(false);
  });

  it("IN and NOT IN", () => {
    expect(matches("country IN ('Germany', 'Turkey')")).toBe(true);
    expect(matches("country NOT IN ('Germany', 'Turkey')")).toBe(false);
    expect(matches("population in (1, 15460000)")).toBe(true);
  });

  it("never matches a missing field, not even with != or NOT IN", () => {
    expect(matches("mayor = 'x'")).toBe(false);
    expect(matches("mayor != 'x'")).toBe(false);
    expect(matches("mayor NOT IN ('x')")).toBe(false);
    expect(matchesFilter(parsed("city = 'Istanbul'"), undefined)).toBe(false);
    expect(matches("geography != 'x'")).toBe(false);
  });

  it("OR and parentheses", () => {
    expect(matches("(city = 'Paris' OR city = 'Istanbul') AND NOT_A_FIELD = 1 OR population > 1")).toBe(true);
    expect(matches("(city = 'Paris' OR city = 'Rome') AND population > 1")).toBe(false);
  });

  it("does not reach the prototype through field names", () => {
    expect(matches("constructor = 'x'", {})).toBe(false);
    expect(matches("toString != 'x'", {})).toBe(false);
    expect(matches("__proto__.polluted = true", {})).toBe(false);
  });
});
