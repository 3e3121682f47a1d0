import { api, KEYS, seedKeys, uniq } from "../test-support/fixtures.js";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { issueSessionToken } from "../auth/session-token.js";
import { userToken } from "../test-support/tokens.js";

interface Session {
  session_id: string;
  token: string;
  expires_at: string;
}

beforeAll(async () => {
  await seedKeys();
});

const start = (token?: string) => api("/v1/sessions", { method: "POST", key: token ?? null });

describe("POST /v1/sessions", () => {
  it("issues an anonymous session without any credential", async () => {
    const res = await start();
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const s = await res.json<Session>();
    expect(s.session_id).toMatch(/^anon_[0-9a-f]{32}$/);
    expect(s.token.split(".")).toHaveLength(3);
    expect(Date.parse(s.expires_at)).toBeGreaterThan(Date.now() + 3500_000);
  });

  it("gives a token that reads and writes for its own session only", async () => {
    const s = await (await start()).json<Session>();
    expect((await api(`/v1/recommendations/${s.session_id}?limit=2`, { key: s.token })).status).toBe(200);
    const own = await api("/v1/events", { method: "POST", key: s.token, json: { events: [{ user_id: s.session_id, item_id: "s-item", type: "view" }] } });
    expect(own.status).toBe(202);
    expect((await api(`/v1/recommendations/${uniq("someone")}`, { key: s.token })).status).toBe(403);
    expect((await api("/v1/recommendations/bulk", { method: "POST", key: s.token, json: { user_ids: [s.session_id] } })).status).toBe(403);
  });

  it("refreshes a session: same id, new token, even shortly after expiry", async () => {
    const s = await (await start()).json<Session>();
    const refreshed = await start(s.token);
    expect(refreshed.status).toBe(201);
    expect((await refreshed.json<Session>()).session_id).toBe(s.session_id);
    const expired = (await issueSessionToken(env, "anon_0123456789abcdef0123456789abcdef", Date.now() - 3 * 3600_000))!;
    expect((await api("/v1/popular", { key: expired.token })).status).toBe(401);
    const again = await start(expired.token);
    expect(again.status).toBe(201);
    expect((await again.json<Session>()).session_id).toBe(expired.session_id);
  });

  it("refuses to refresh what is not a valid session token", async () => {
    expect((await start(KEYS.client)).status).toBe(400);
    const idp = await start(await userToken("u1"));
    expect(idp.status).toBe(401);
    expect((await idp.json<{ error: { code: string } }>()).error.code).toBe("token_wrong_issuer");
    const forged = (await issueSessionToken({ ...env, SESSION_TOKEN_SECRET: "a-guessed-secret-0123456789abcdef" }, "anon_x", Date.now()))!;
    expect((await start(forged.token)).status).toBe(401);
    const ancient = (await issueSessionToken(env, "anon_y", Date.now() - 3 * 24 * 3600_000))!;
    expect((await start(ancient.token)).status).toBe(401);
  });

  it("answers 503 not_configured in production without SESSION_TOKEN_SECRET", async () => {
    const ctx = createExecutionContext();
    const res = await createApp().fetch(
      new Request("http://edge.test/v1/sessions", { method: "POST" }),
      { ...env, ENVIRONMENT: "production", SESSION_TOKEN_SECRET: undefined },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("not_configured");
  });
});
