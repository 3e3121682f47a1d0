/**
 * Webhooks on PostgreSQL, end to end: subscriptions made through the API, events caused
 * through the API (a promotion, a rollback), deliveries sent by the real dispatcher to
 * local HTTP receivers — one that answers 200, one that fails and then recovers — and
 * checked by their signatures, headers, bodies and the delivery log.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackendApp } from "../app.js";
import type { AppEnv } from "../http/app-env.js";
import { silentLogger } from "../logger.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";
import { recordingPublisher, scriptedTrainer, publishedVersion as publishVersion } from "../test-support/training-stand-ins.js";
import { createTrainingRunner } from "../training-jobs/job-runner.js";
import { createWebhookDispatcher, type WebhookDispatcher } from "../webhooks/webhook-dispatcher.js";
import { verifySignature } from "../webhooks/webhook-signature.js";

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  answered: number;
}

/** A receiver that answers with `status(body)` and records every request. */
async function receiver(status: (body: string) => number): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const answered = status(body);
      got.push({ headers: req.headers, body, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=receiver-own`, got, server };
}

let h: Harness;
let app: OpenAPIHono<AppEnv>;
let dispatcher: WebhookDispatcher;
let healthy: Awaited<ReturnType<typeof receiver>>;
let flaky: Awaited<ReturnType<typeof receiver>>;
/** Fails each event's first two attempts, as a receiver that is down for a while would. */
const flakyAttempts = new Map<string, number>();

beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
  healthy = await receiver(() => 200);
  flaky = await receiver((body) => {
    const id = JSON.parse(body).id as string;
    flakyAttempts.set(id, (flakyAttempts.get(id) ?? 0) + 1);
    return flakyAttempts.get(id)! <= 2 ? 500 : 204;
  });
  dispatcher = createWebhookDispatcher({ db: h.database.db, pollMs: 25, retryBaseMs: 50, maxRetryMs: 200, maxAttempts: 4, timeoutMs: 2_000 });
  dispatcher.start();
  const models = recordingPublisher();
  const runner = createTrainingRunner({ db: h.database.db, trainer: scriptedTrainer().trainer, publisher: models });
  app = createBackendApp({
    database: h.database,
    featureStore: h.featureStore,
    logger: silentLogger,
    config: { backendToken: BACKEND_TOKEN, corsOrigins: [], isProduction: false },
    training: { runner, publisher: models },
    webhooks: dispatcher,
  });
});
afterAll(async () => {
  await dispatcher?.stop();
  healthy?.server.close();
  flaky?.server.close();
  await h?.close();
});

const HOOKS = "/api/v1/webhooks";
const admin = () => bearer(h.keys.admin);
const post = (path: string, body: unknown = {}, auth = admin()) => app.request(path, jsonRequest("POST", body, auth));
const get = async (path: string) => json(await app.request(path, { headers: admin() }));

async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const publishedVersion = (version: string) => publishVersion(h.database.db, version);

async function subscribe(url: string, events: string[]): Promise<{ id: string; secret: string }> {
  const res = await post(HOOKS, { url, events, description: "test receiver" });
  expect(res.status).toBe(201);
  return json(res);
}

describe("webhooks", () => {
  it("refuses bad subscriptions with 400 naming the field, and non-admin keys with 403", async () => {
    const cases: Array<[unknown, string]> = [
      [{ url: "ftp://example.com/x", events: ["model.promoted"] }, "url"],
      [{ url: "not a url", events: ["model.promoted"] }, "url"],
      [{ url: "https://user:pw@example.com/", events: ["model.promoted"] }, "url"],
      [{ url: "https://example.com/", events: ["model.exploded"] }, "events"],
      [{ url: "https://example.com/", events: [] }, "events"],
      [{ url: "https://example.com/", events: ["model.promoted", "model.promoted"] }, "events"],
      [{ url: "https://example.com/", events: ["model.promoted"], extra: 1 }, ""],
    ];
    for (const [body, field] of cases) {
      const res = await post(HOOKS, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(await json(res))).toContain(field);
    }
    expect((await post(HOOKS, { url: "https://example.com/", events: ["model.promoted"] }, bearer(h.keys.client))).status).toBe(403);
    expect((await app.request(`${HOOKS}/wh_0000000000000000`, { headers: admin() })).status).toBe(404);
    expect((await app.request(`${HOOKS}/nope`, { headers: admin() })).status).toBe(400);
  });

  it("sends a signed model.promoted after a promotion, and again to a receiver that failed until it recovered", async () => {
    const a = await subscribe(healthy.url, ["model.promoted"]);
    const b = await subscribe(flaky.url, ["model.promoted", "model.rolled_back"]);
    // The secret is shown once: never in listings or the audit log.
    const listed = await get(HOOKS);
    expect(listed.webhooks.map((w: { id: string }) => w.id).sort()).toEqual([a.id, b.id].sort());
    expect(JSON.stringify(listed)).not.toContain(a.secret);
    const audit = await get("/api/v1/audit?action=webhook.create");
    expect(audit.entries[0].detail).toEqual({ host: new URL(flaky.url).host, events: ["model.promoted", "model.rolled_back"] });
    expect(JSON.stringify(audit)).not.toContain("receiver-own");

    await publishedVersion("wh-v1");
    await publishedVersion("wh-v2");
    expect((await post("/api/v1/recs/models/wh-v1/promote")).status).toBe(200);
    expect((await post("/api/v1/recs/models/wh-v2/promote")).status).toBe(200);

    await until("both promotions at the healthy receiver", async () => healthy.got.length >= 2);
    const bodies = healthy.got.map((r) => JSON.parse(r.body));
    expect(bodies.map((p) => [p.type, p.data.version, p.data.previous])).toEqual([
      ["model.promoted", "wh-v1", null],
      ["model.promoted", "wh-v2", "wh-v1"],
    ]);
    for (const r of healthy.got) {
      expect(verifySignature(a.secret, r.headers["x-recs-signature"] as string, r.body, Math.floor(Date.now() / 1000))).toEqual({ ok: true });
      expect(verifySignature(b.secret, r.headers["x-recs-signature"] as string, r.body, Math.floor(Date.now() / 1000)).ok).toBe(false);
      expect(r.headers["x-recs-event"]).toBe("model.promoted");
      expect(r.headers["x-recs-event-id"]).toBe(JSON.parse(r.body).id);
      expect(r.headers["content-type"]).toBe("application/json");
    }
    expect(bodies[0].data.actor).toMatch(/^api-key:/);

    // The flaky receiver answered 500 twice, then 204: both events arrive, the first after two retries.
    await until("both promotions delivered to the recovered receiver", async () => flaky.got.filter((r) => r.answered === 204).length >= 2);
    const firstEvent = bodies[0].id;
    const toFlaky = flaky.got.filter((r) => JSON.parse(r.body).id === firstEvent);
    expect(toFlaky.map((r) => r.answered)).toEqual([500, 500, 204]);
    // One event, one id for every subscriber, the same body on every attempt, each attempt signed.
    expect(new Set(toFlaky.map((r) => r.body)).size).toBe(1);
    for (const r of flaky.got) expect(verifySignature(b.secret, r.headers["x-recs-signature"] as string, r.body, Math.floor(Date.now() / 1000)).ok).toBe(true);

    const log = await until("the delivery log to settle", async () => {
      const page = await get(`${HOOKS}/${b.id}/deliveries`);
      return page.deliveries.every((d: { status: string }) => d.status === "delivered") ? page : null;
    });
    const first = log.deliveries.find((d: { event_id: string }) => d.event_id === firstEvent);
    expect(first).toMatchObject({
      event_type: "model.promoted",
      status: "delivered",
      attempts: 3,
      last_status_code: 204,
      last_error: null,
      next_attempt_at: null,
    });

    // A rollback reaches only the subscription that asked for it.
    const sentToHealthy = healthy.got.length;
    expect((await post("/api/v1/recs/models/rollback")).status).toBe(200);
    await until("the rollback at the flaky receiver", async () => flaky.got.some((r) => JSON.parse(r.body).type === "model.rolled_back"));
    const rolled = JSON.parse(flaky.got.find((r) => JSON.parse(r.body).type === "model.rolled_back")!.body);
    expect(rolled.data).toMatchObject({ version: "wh-v2", restored: "wh-v1" });
    await dispatcher.tick();
    expect(healthy.got.length).toBe(sentToHealthy);

    // A promotion the registry refuses announces nothing.
    expect((await post("/api/v1/recs/models/no-such-version/promote")).status).toBe(404);
    await dispatcher.tick();
    expect(healthy.got.length).toBe(sentToHealthy);
  });

  it("marks a delivery failed when its attempts run out, and redelivers it on request once the receiver is back", async () => {
    let up = false;
    const down = await receiver(() => (up ? 200 : 503));
    try {
      const w = await subscribe(down.url, ["model.promoted"]);
      const ping = await post(`${HOOKS}/${w.id}/ping`);
      expect(ping.status).toBe(202);
      const queued = await json(ping);
      expect(queued).toMatchObject({ event_type: "webhook.ping", status: "pending" });
      const failed = await until("the ping to fail for good", async () => {
        const page = await get(`${HOOKS}/${w.id}/deliveries`);
        return page.deliveries[0].status === "failed" ? page.deliveries[0] : null;
      });
      expect(failed).toMatchObject({ attempts: 4, last_status_code: 503, last_error: "receiver answered 503" });
      expect(down.got).toHaveLength(4);

      up = true;
      const again = await post(`${HOOKS}/${w.id}/deliveries/${failed.id}/redeliver`);
      expect(again.status).toBe(202);
      await until("the redelivery", async () => {
        const page = await get(`${HOOKS}/${w.id}/deliveries`);
        return page.deliveries[0].status === "delivered";
      });
      expect(down.got.at(-1)!.answered).toBe(200);
      expect(JSON.parse(down.got.at(-1)!.body).id).toBe(queued.event_id);
      expect((await post(`${HOOKS}/${w.id}/deliveries/999999/redeliver`)).status).toBe(404);

      const actions = (await get("/api/v1/audit")).entries.map((e: { action: string }) => e.action);
      expect(actions).toEqual(expect.arrayContaining(["webhook.create", "webhook.ping", "webhook.redeliver"]));

      const del = await app.request(`${HOOKS}/${w.id}`, { method: "DELETE", headers: admin() });
      expect(del.status).toBe(204);
      expect((await app.request(`${HOOKS}/${w.id}/deliveries`, { headers: admin() })).status).toBe(404);
      expect((await get("/api/v1/audit?action=webhook.delete")).entries[0].target).toBe(w.id);
    } finally {
      down.server.close();
    }
  });
});
