/**
 * Unit tests for the pure protocol rules of the Redis REST gateway: routing, the three
 * request forms, refused commands, reply encoding, error shaping and auth. No I/O.
 */
import { describe, expect, it } from "vitest";
import {
  batchEntry,
  describeTransactionAbort,
  encodeReply,
  findUnsupported,
  isAuthorized,
  isRedisReplyError,
  parseCommandArray,
  parseCommandBatch,
  parseJsonBody,
  parsePathCommand,
  parseRequestCommands,
  redactRedisUrl,
  resolveRoute,
  responseFormatError,
  splitRequestTarget,
  unavailableMessage,
  unsupportedReason,
  wantsBase64,
  type RedisCommand,
} from "./protocol.js";
import { error, value } from "../test-support/parsed.js";

const json = (text: string) => Buffer.from(text);
const command = (name: string, ...args: string[]): RedisCommand => ({ name, args });

describe("splitRequestTarget", () => {
  it("separates path and query without treating // as a host", () => {
    const { path, query } = splitRequestTarget("//set/k?EX=10&_token=t");
    expect(path).toBe("//set/k");
    expect(query.get("EX")).toBe("10");
    expect(query.get("_token")).toBe("t");
  });

  it("handles a target with no query", () => {
    expect(splitRequestTarget("/get/k").path).toBe("/get/k");
    expect([...splitRequestTarget("/get/k").query]).toEqual([]);
  });
});

describe("resolveRoute", () => {
  it("knows the special endpoints", () => {
    expect(resolveRoute("GET", "/health")).toEqual({ kind: "health" });
    expect(resolveRoute("POST", "/")).toEqual({ kind: "json-command" });
    expect(resolveRoute("PUT", "/")).toEqual({ kind: "json-command" });
    expect(resolveRoute("POST", "/pipeline")).toEqual({ kind: "batch", transaction: false });
    expect(resolveRoute("POST", "/multi-exec")).toEqual({ kind: "batch", transaction: true });
  });

  it("treats every other path as a command in the path form", () => {
    expect(resolveRoute("GET", "/set/k/v")).toEqual({ kind: "path-command" });
    expect(resolveRoute("post", "/set/k")).toEqual({ kind: "path-command" });
  });

  it("refuses other methods with 405 and body-less batches", () => {
    expect(resolveRoute("DELETE", "/get/k")).toMatchObject({ kind: "rejected", status: 405 });
    expect(resolveRoute("GET", "/pipeline")).toMatchObject({ kind: "rejected", status: 405 });
  });

  it("says how to send a command when GET / has none", () => {
    expect(resolveRoute("GET", "/")).toMatchObject({ kind: "rejected", status: 400, error: expect.stringContaining("POST") });
  });
});

describe("parseCommandArray", () => {
  it("turns numbers and booleans into strings", () => {
    expect(value(parseCommandArray(["SET", "k", "v", "EX", 100, true, 1.5], "command"))).toEqual({
      name: "SET",
      args: ["k", "v", "EX", "100", "true", "1.5"],
    });
  });

  it("accepts a bare command name", () => {
    expect(value(parseCommandArray(["PING"], "command"))).toEqual({ name: "PING", args: [] });
  });

  it.each([
    [{ cmd: "get" }, "got an object"],
    ["GET k", "got a string"],
    [null, "got null"],
    [[], "empty array"],
    [["get", null], "element 1 is null"],
    [["get", { a: 1 }], "element 1 is an object"],
    [["get", ["k"]], "element 1 is an array"],
    [["set", "k", Infinity], "element 2 is a non-finite number"],
    [["", "k"], "empty command name"],
    [[" "], "empty command name"],
  ])("refuses %j with a message naming the problem", (input, message) => {
    expect(error(parseCommandArray(input, "command"))).toContain(message);
  });
});

describe("parseCommandBatch", () => {
  it("reads a two-dimensional array", () => {
    expect(
      value(
        parseCommandBatch(
          [
            ["SET", "a", 1],
            ["GET", "a"],
          ],
          "pipeline",
        ),
      ),
    ).toEqual([
      { name: "SET", args: ["a", "1"] },
      { name: "GET", args: ["a"] },
    ]);
  });

  it("names the offending command and element", () => {
    expect(
      error(
        parseCommandBatch(
          [
            ["GET", "a"],
            ["SET", "b", {}],
          ],
          "pipeline",
        ),
      ),
    ).toBe("pipeline command 1 element 2 is an object; only strings, finite numbers and booleans are allowed");
    expect(error(parseCommandBatch([["GET", "a"], "GET b"], "transaction"))).toContain("transaction command 1 must be a JSON array");
  });

  it("refuses an empty batch and a non-array body", () => {
    expect(error(parseCommandBatch([], "pipeline"))).toBe("pipeline contains no commands");
    expect(error(parseCommandBatch({}, "pipeline"))).toContain("got an object");
    expect(error(parseCommandBatch(["GET", "k"], "pipeline"))).toContain("pipeline command 0 must be a JSON array");
  });
});

describe("parseJsonBody", () => {
  it("parses JSON and explains bad JSON", () => {
    expect(value(parseJsonBody(json('["GET","k"]')))).toEqual(["GET", "k"]);
    expect(error(parseJsonBody(json("[1,")))).toMatch(/^Request body is not valid JSON: /);
    expect(error(parseJsonBody(Buffer.alloc(0)))).toContain("empty");
  });

  it("turns absurd nesting into an ordinary 400 message", () => {
    const deep = json("[".repeat(200_000) + "]".repeat(200_000));
    expect(error(parseRequestCommands({ kind: "json-command" }, { method: "POST", path: "/", query: new URLSearchParams(), body: deep }))).toBe(
      "command element 0 is an array; only strings, finite numbers and booleans are allowed",
    );
  });
});

describe("parsePathCommand", () => {
  const noQuery = new URLSearchParams();

  it("URL-decodes each segment", () => {
    expect(value(parsePathCommand("/set/a%2Fb/hello%20w%C3%B6rld/EX/100", noQuery, Buffer.alloc(0)))).toEqual({
      name: "set",
      args: ["a/b", "hello wörld", "EX", "100"],
    });
  });

  it("keeps empty segments as empty-string arguments", () => {
    expect(value(parsePathCommand("/set/k/", noQuery, Buffer.alloc(0))).args).toEqual(["k", ""]);
  });

  it("appends the body, then query parameters as name/value pairs, without _token", () => {
    const body = Buffer.from([0xff, 0x00, 0x61]);
    const parsed = value(parsePathCommand("/set/k", new URLSearchParams("EX=100&_token=secret&NX"), body));
    expect(parsed.args).toEqual(["k", body, "EX", "100", "NX"]);
  });

  it("refuses broken percent-encoding and a missing command", () => {
    expect(error(parsePathCommand("/get/%E0%A4%A", noQuery, Buffer.alloc(0)))).toContain("Path segment 1");
    expect(error(parsePathCommand("//k", noQuery, Buffer.alloc(0)))).toContain("empty command name");
  });
});

describe("parseRequestCommands", () => {
  const input = (method: string, path: string, body: string, query = "") => ({
    method,
    path,
    query: new URLSearchParams(query),
    body: json(body),
  });

  it("reads each route's form", () => {
    expect(value(parseRequestCommands({ kind: "json-command" }, input("POST", "/", '["GET","k"]')))).toEqual({
      kind: "single",
      command: { name: "GET", args: ["k"] },
    });
    expect(value(parseRequestCommands({ kind: "batch", transaction: true }, input("POST", "/multi-exec", '[["INCR","k"]]')))).toEqual({
      kind: "batch",
      transaction: true,
      commands: [{ name: "INCR", args: ["k"] }],
    });
  });

  it("ignores a body on GET in the path form", () => {
    const plan = value(parseRequestCommands({ kind: "path-command" }, input("GET", "/get/k", "ignored")));
    expect(plan).toEqual({ kind: "single", command: { name: "get", args: ["k"] } });
  });

  it("names the form in its errors", () => {
    expect(error(parseRequestCommands({ kind: "batch", transaction: false }, input("POST", "/pipeline", "[[]]")))).toBe(
      "pipeline command 0 is an empty array; its first element must be the command name",
    );
  });
});

describe("unsupported commands", () => {
  it.each(["MULTI", "exec", "WATCH", "select", "SUBSCRIBE", "monitor", "BLPOP", "quit", "hello"])("refuses %s", (name) => {
    expect(unsupportedReason(command(name, "x"))).toMatch(new RegExp(`^ERR ${name.toUpperCase()} is not supported`));
  });

  it("refuses only the blocking form of XREAD and only state-changing CLIENT calls", () => {
    expect(unsupportedReason(command("XREAD", "COUNT", "1", "STREAMS", "s", "0"))).toBeUndefined();
    expect(unsupportedReason(command("xread", "block", "0", "STREAMS", "s", "$"))).toContain("blocking");
    expect(unsupportedReason(command("CLIENT", "LIST"))).toBeUndefined();
    expect(unsupportedReason(command("client", "reply", "OFF"))).toBeDefined();
  });

  it("lets ordinary commands through", () => {
    for (const name of ["GET", "set", "ZINCRBY", "EVAL", "EVALSHA", "PUBLISH", "FLUSHDB"]) {
      expect(unsupportedReason(command(name))).toBeUndefined();
    }
  });

  it("names the position inside a batch", () => {
    const plan = { kind: "batch", transaction: false, commands: [command("GET", "k"), command("WATCH", "k")] } as const;
    expect(findUnsupported(plan)).toMatch(/^pipeline command 1: ERR WATCH/);
  });
});

describe("encodeReply", () => {
  it("returns UTF-8 strings without base64", () => {
    expect(encodeReply(Buffer.from("héllo ✓"), false)).toBe("héllo ✓");
    expect(encodeReply(Buffer.from([0xff]), false)).toBe("\uFFFD");
  });

  it("base64-encodes every string, nested too, but leaves numbers, null and structure", () => {
    const reply = [Buffer.from("a"), 3, null, [Buffer.from("b"), [Buffer.from([0xff, 0x00])]]];
    expect(encodeReply(reply, true)).toEqual(["YQ==", 3, null, ["Yg==", ["/wA="]]]);
  });

  it("leaves OK unencoded, as Upstash does", () => {
    expect(encodeReply(Buffer.from("OK"), true)).toBe("OK");
    expect(encodeReply(Buffer.from("PONG"), true)).toBe("UE9ORw==");
  });

  it("renders an error nested in an array as its text", () => {
    expect(encodeReply([1, new Error("ERR bad")], false)).toEqual([1, "ERR bad"]);
  });

  it("maps undefined to null", () => {
    expect(encodeReply(undefined, true)).toBeNull();
  });
});

describe("batchEntry", () => {
  it("shapes results and errors", () => {
    expect(batchEntry(null, Buffer.from("v"), true)).toEqual({ result: "dg==" });
    expect(batchEntry(new Error("ERR nope"), undefined, true)).toEqual({ error: "ERR nope" });
  });
});

describe("error shaping", () => {
  it("recognises Redis error replies by name", () => {
    const reply = Object.assign(new Error("ERR x"), { name: "ReplyError" });
    expect(isRedisReplyError(reply)).toBe(true);
    expect(isRedisReplyError(new Error("connect ECONNREFUSED"))).toBe(false);
    expect(isRedisReplyError("ERR x")).toBe(false);
  });

  it("adds the queueing errors to EXECABORT", () => {
    const abort = Object.assign(new Error("EXECABORT Transaction discarded because of previous errors."), {
      previousErrors: [new Error("ERR unknown command 'FOO'")],
    });
    expect(describeTransactionAbort(abort)).toBe("EXECABORT Transaction discarded because of previous errors: ERR unknown command 'FOO'");
    expect(describeTransactionAbort(new Error("EXECABORT x"))).toBe("EXECABORT x");
  });

  it("hides the password in the unavailable message", () => {
    expect(unavailableMessage("redis://user:s3cret@db:6380/2", "connect ECONNREFUSED")).toBe(
      "Redis unavailable at redis://user:***@db:6380/2: connect ECONNREFUSED",
    );
    expect(redactRedisUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
    expect(redactRedisUrl("redis://:pw@[bad")).toBe("redis://:***@[bad");
  });
});

describe("headers", () => {
  it("reads Upstash-Encoding", () => {
    expect(wantsBase64("base64")).toBe(true);
    expect(wantsBase64(" Base64 ")).toBe(true);
    expect(wantsBase64(undefined)).toBe(false);
    expect(wantsBase64("utf-8")).toBe(false);
  });

  it("accepts only the JSON response format", () => {
    expect(responseFormatError(undefined)).toBeUndefined();
    expect(responseFormatError("json")).toBeUndefined();
    expect(responseFormatError("resp2")).toContain("not supported");
  });
});

describe("isAuthorized", () => {
  it("lets everything through when no token is configured", () => {
    expect(isAuthorized(undefined, undefined, null)).toBe(true);
    expect(isAuthorized("", "Bearer whatever", null)).toBe(true);
  });

  it("accepts the bearer header or the _token parameter", () => {
    expect(isAuthorized("t0k", "Bearer t0k", null)).toBe(true);
    expect(isAuthorized("t0k", "bearer t0k", null)).toBe(true);
    expect(isAuthorized("t0k", undefined, "t0k")).toBe(true);
  });

  it("refuses missing, wrong or differently-shaped credentials", () => {
    expect(isAuthorized("t0k", undefined, null)).toBe(false);
    expect(isAuthorized("t0k", "Bearer t0k2", null)).toBe(false);
    expect(isAuthorized("t0k", "Basic t0k", null)).toBe(false);
    expect(isAuthorized("t0k", "Bearer", null)).toBe(false);
    expect(isAuthorized("t0k", "Bearer wrong", "also-wrong")).toBe(false);
  });
});
