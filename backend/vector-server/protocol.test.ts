/**
 * Unit tests for the pure protocol rules of the vector server: routing (endpoints,
 * namespaces, methods), body validation per endpoint, reply shapes and auth. No I/O.
 */
import { describe, expect, it } from "vitest";
import {
  errorReply,
  exceedsDepth,
  isAuthorized,
  parseDelete,
  parseFetch,
  parseJsonBody,
  parseQueries,
  parseRange,
  parseUpdate,
  parseUpsert,
  resolveRoute,
  resultReply,
  splitRequestTarget,
} from "./protocol.js";
import { error, value } from "../test-support/parsed.js";

const route = (method: string, target: string) => {
  const { path, query } = splitRequestTarget(target);
  return resolveRoute(method, path, query);
};

const NONE = { includeVectors: false, includeMetadata: false, includeData: false };

describe("resolveRoute", () => {
  it("maps data endpoints to the default namespace or the one in the path", () => {
    expect(route("POST", "/query")).toEqual({ kind: "data", command: "query", namespace: "", all: false });
    expect(route("POST", "/upsert/tenant-a")).toEqual({ kind: "data", command: "upsert", namespace: "tenant-a", all: false });
    expect(route("POST", "/fetch/shop/eu")).toEqual({ kind: "data", command: "fetch", namespace: "shop/eu", all: false });
    expect(route("POST", "/range/caf%C3%A9")).toEqual({ kind: "data", command: "range", namespace: "café", all: false });
    expect(route("POST", "/reset?all")).toEqual({ kind: "data", command: "reset", namespace: "", all: true });
  });

  it("knows the index-wide endpoints and health", () => {
    expect(route("POST", "/info")).toEqual({ kind: "info" });
    expect(route("GET", "/list-namespaces")).toEqual({ kind: "list-namespaces" });
    expect(route("POST", "/delete-namespace/ns")).toEqual({ kind: "delete-namespace", namespace: "ns" });
    expect(route("GET", "/health")).toEqual({ kind: "health" });
  });

  it("rejects what it cannot serve, with the right status", () => {
    expect(route("DELETE", "/info")).toMatchObject({ kind: "rejected", status: 405 });
    expect(route("POST", "/nope")).toMatchObject({ kind: "rejected", status: 404 });
    expect(route("POST", "/info/ns")).toMatchObject({ kind: "rejected", status: 400 });
    expect(route("POST", "/delete-namespace")).toMatchObject({ kind: "rejected", status: 400 });
    expect(route("POST", "/query-data")).toMatchObject({ kind: "rejected", status: 400, error: expect.stringMatching(/embedding model/) });
    expect(route("POST", "/resumable-query-next")).toMatchObject({ kind: "rejected", status: 400 });
    expect(route("POST", "/fetch/%E0%A4%A")).toMatchObject({ kind: "rejected", status: 400 });
  });
});

describe("body parsers", () => {
  it("parseJsonBody refuses empty and invalid JSON", () => {
    expect(error(parseJsonBody(Buffer.alloc(0)))).toMatch(/empty/);
    expect(error(parseJsonBody(Buffer.from("{")))).toMatch(/not valid JSON/);
    expect(value(parseJsonBody(Buffer.from("[1]")))).toEqual([1]);
  });

  it("parseUpsert takes one vector or a batch; number ids become text", () => {
    expect(value(parseUpsert({ id: 7, vector: [1, 2], metadata: { a: 1 }, data: "d" }))).toEqual([{ id: "7", vector: [1, 2], metadata: { a: 1 }, data: "d" }]);
    expect(
      value(
        parseUpsert([
          { id: "a", vector: [1] },
          { id: "b", vector: [2] },
        ]),
      ),
    ).toHaveLength(2);
    expect(
      error(
        parseUpsert([
          { id: "a", vector: [1] },
          { id: "b", vector: [Number.NaN] },
        ]),
      ),
    ).toMatch(/vectors\[1\]\.vector\[0\]/);
    expect(error(parseUpsert({ id: "a", vector: [1], data: 5 }))).toMatch(/vector\.data must be a string/);
    expect(error(parseUpsert({ id: true, vector: [1] }))).toMatch(/vector\.id/);
  });

  it("parseQueries defaults topK to 10 and parses the filter", () => {
    const { many, queries } = value(parseQueries({ vector: [1], filter: "a = 1", includeMetadata: true }));
    expect(many).toBe(false);
    expect(queries[0]).toMatchObject({ topK: 10, include: { ...NONE, includeMetadata: true }, filter: { kind: "compare" } });
    expect(value(parseQueries([{ vector: [1] }, { vector: [2], topK: 3 }])).many).toBe(true);
    expect(error(parseQueries([{ vector: [1] }, { vector: [2], topK: 1.5 }]))).toMatch(/queries\[1\]\.topK/);
    expect(error(parseQueries({ vector: [1], filter: "a GLOB 'x'" }))).toMatch(/^filter: .*GLOB/);
  });

  it("parseFetch reads ids or a prefix", () => {
    expect(value(parseFetch({ ids: ["a", 2], includeVectors: true }))).toEqual({ ids: ["a", "2"], include: { ...NONE, includeVectors: true } });
    expect(value(parseFetch({ prefix: "p-" }))).toEqual({ prefix: "p-", include: NONE });
    expect(value(parseFetch(["a"]))).toEqual({ ids: ["a"], include: NONE });
    expect(error(parseFetch({ ids: [{}] }))).toMatch(/ids\[0\]/);
  });

  it("parseDelete reads every form the client sends", () => {
    expect(value(parseDelete("a"))).toEqual({ ids: ["a"] });
    expect(value(parseDelete(["a", 1]))).toEqual({ ids: ["a", "1"] });
    expect(value(parseDelete({ ids: ["a"] }))).toEqual({ ids: ["a"] });
    expect(value(parseDelete({ prefix: "x" }))).toEqual({ prefix: "x" });
    expect(value(parseDelete({ filter: "a = 1" }))).toMatchObject({ filter: { kind: "compare" } });
    expect(error(parseDelete({ filter: " " }))).toMatch(/use reset/);
    expect(error(parseDelete(null))).toMatch(/delete body/);
  });

  it("parseRange reads cursor, limit and prefix", () => {
    expect(value(parseRange({ cursor: "0", limit: 5 }))).toEqual({ cursor: 0, limit: 5, prefix: undefined, include: NONE });
    expect(value(parseRange({ cursor: 12, limit: 1, prefix: "a" }))).toMatchObject({ cursor: 12, prefix: "a" });
    expect(value(parseRange({ cursor: "", limit: 1 })).cursor).toBe(0);
    expect(error(parseRange({ cursor: "-1", limit: 1 }))).toMatch(/cursor/);
    expect(error(parseRange({ cursor: "0", limit: 0 }))).toMatch(/limit must be a positive integer/);
  });

  it("parseUpdate needs an id and a known metadataUpdateMode", () => {
    expect(value(parseUpdate({ id: "a", metadata: { x: 1 } }))).toEqual({ id: "a", metadata: { x: 1 }, metadataUpdateMode: "OVERWRITE" });
    expect(error(parseUpdate({ metadata: {} }))).toMatch(/id must be/);
    expect(error(parseUpdate({ id: "a", metadataUpdateMode: "MERGE" }))).toMatch(/metadataUpdateMode/);
  });

  it("exceedsDepth counts nesting without recursion", () => {
    expect(exceedsDepth({ a: { b: 1 } }, 2)).toBe(false);
    expect(exceedsDepth({ a: { b: {} } }, 2)).toBe(true);
    expect(exceedsDepth({ a: [[1]] }, 3)).toBe(false);
  });
});

describe("replies and auth", () => {
  it("shapes results and errors as Upstash does", () => {
    expect(resultReply("Success")).toEqual({ status: 200, body: { result: "Success" } });
    expect(errorReply(400, "bad")).toEqual({ status: 400, body: { error: "bad", status: 400 } });
  });

  it("checks the bearer token only when one is configured", () => {
    expect(isAuthorized(undefined, undefined)).toBe(true);
    expect(isAuthorized("secret", "Bearer secret")).toBe(true);
    expect(isAuthorized("secret", "bearer secret ")).toBe(true);
    expect(isAuthorized("secret", "Bearer wrong")).toBe(false);
    expect(isAuthorized("secret", "secret")).toBe(false);
    expect(isAuthorized("secret", undefined)).toBe(false);
  });
});
