import { describe, expect, it } from "vitest";
import { IsolateCache } from "./isolate-cache.js";

describe("IsolateCache", () => {
  it("expires entries after the ttl and evicts the oldest when full", () => {
    const c = new IsolateCache<number>(1000, 10);
    c.set("a", 1, 0);
    expect(c.get("a", 1000)).toBe(1);
    expect(c.get("a", 1001)).toBeUndefined();
    for (let i = 0; i < 10; i++) c.set(`k${i}`, i, 0);
    c.set("new", 99, 0);
    expect(c.get("k0", 0)).toBeUndefined();
    expect(c.get("k1", 0)).toBe(1);
    expect(c.get("new", 0)).toBe(99);
  });
});
