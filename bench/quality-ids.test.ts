import { describe, expect, it } from "vitest";
import { apiIds } from "./quality-ids.js";

describe("apiIds", () => {
  it("sends ids outside the API's alphabet with _ and maps them back", () => {
    const ids = apiIds(["BANK CHARGES", "85123A", "gift_0001_10"]);
    expect(ids.toApi("BANK CHARGES")).toBe("BANK_CHARGES");
    expect(ids.fromApi("BANK_CHARGES")).toBe("BANK CHARGES");
    expect(ids.toApi("85123A")).toBe("85123A");
    expect(ids.fromApi("gift_0001_10")).toBe("gift_0001_10");
  });

  it("refuses two ids that would be sent as one", () => {
    expect(() => apiIds(["a b", "a_b"])).toThrow('ids "a b" and "a_b" would both be sent as "a_b"');
  });
});
