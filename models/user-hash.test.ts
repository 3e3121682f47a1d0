import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { redactUserPath } from "./redact-user-path.js";
import { DEV_USER_ID_HASH_KEY, hashUserId, resolveUserIdHashKey } from "./user-hash.js";

describe("hashUserId", () => {
  it("is HMAC-SHA256 of the id under the key, as hex", async () => {
    const expected = createHmac("sha256", "k1").update("alice").digest("hex");
    expect(await hashUserId("alice", "k1")).toBe(expected);
    expect(await hashUserId("alice", "k2")).not.toBe(expected);
  });

  it("refuses an empty key", async () => {
    await expect(hashUserId("alice", "")).rejects.toThrow(/USER_ID_HASH_KEY/);
  });

  it("needs a configured key in production, defaults elsewhere", () => {
    expect(resolveUserIdHashKey(undefined, false)).toBe(DEV_USER_ID_HASH_KEY);
    expect(resolveUserIdHashKey(" s3cret ", true)).toBe("s3cret");
    expect(() => resolveUserIdHashKey("", true)).toThrow(/production/);
  });
});

describe("redactUserPath", () => {
  it("replaces the user id segment of every user path by its hash", async () => {
    const h = await hashUserId("alice@x", "k");
    expect(await redactUserPath("/v1/recommendations/alice%40x", "k")).toBe(`/v1/recommendations/h:${h}`);
    expect(await redactUserPath("/v1/users/alice@x/consent", "k")).toBe(`/v1/users/h:${h}/consent`);
    expect(await redactUserPath("/api/v1/users/alice@x/interactions", "k")).toBe(`/api/v1/users/h:${h}/interactions`);
    expect(await redactUserPath("/internal/v1/users/alice@x", "k")).toBe(`/internal/v1/users/h:${h}`);
  });

  it("leaves other paths alone", async () => {
    expect(await redactUserPath("/v1/recommendations/bulk", "k")).toBe("/v1/recommendations/bulk");
    expect(await redactUserPath("/v1/items/i1/similar", "k")).toBe("/v1/items/i1/similar");
  });
});
