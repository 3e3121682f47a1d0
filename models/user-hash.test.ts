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

  it("answers a repeated id from memory with the same hash, per key, and past the memory's bound", async () => {
    const mac = (id: string, key: string) => createHmac("sha256", key).update(id).digest("hex");
    for (let round = 0; round < 2; round++) {
      expect(await hashUserId("bob", "k1")).toBe(mac("bob", "k1"));
      expect(await hashUserId("bob", "k2")).toBe(mac("bob", "k2"));
    }
    for (let i = 0; i < 10_050; i++) await hashUserId(`flood-${i}`, "k1");
    expect(await hashUserId("flood-0", "k1")).toBe(mac("flood-0", "k1"));
    expect(await hashUserId("flood-10049", "k1")).toBe(mac("flood-10049", "k1"));
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
