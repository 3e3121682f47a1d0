import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("CORS", () => {
  it("answers a preflight from an allowed origin and exposes the request id", async () => {
    const res = await SELF.fetch("http://edge.test/v1/events", {
      method: "OPTIONS",
      headers: { origin: "http://localhost:3000", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(res.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
    const get = await SELF.fetch("http://edge.test/health", { headers: { origin: "http://localhost:3000" } });
    expect(get.headers.get("access-control-expose-headers")).toMatch(/X-Request-Id/);
  });

  it("does not allow an origin outside the list", async () => {
    const res = await SELF.fetch("http://edge.test/v1/events", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
