/**
 * Every administrative action through the API leaves one audit row naming the acting
 * key, and none holds a key, a key hash or a raw user id.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEnv } from "../http/app-env.js";
import { insertCandidate, markPublished } from "../registry/model-registry.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";
import { fullBackendApp } from "../test-support/full-app.js";
import { metricsRows } from "../test-support/training-stand-ins.js";
import type { TrainingRunner } from "../training-jobs/job-runner.js";
import { DEV_USER_ID_HASH_KEY, hashUserId } from "../../models/user-hash.js";

let h: Harness;
let app: OpenAPIHono<AppEnv>;
let runner: TrainingRunner;

beforeAll(async () => {
  h = await startHarness({ redis: "unreachable" });
  ({ app, runner } = fullBackendApp(h));
  for (const version of ["v1", "v2", "v3"]) {
    await insertCandidate(
      h.database.db,
      {
        version,
        modelType: "pipeline",
        params: {},
        dataWindow: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-02T00:00:00.000Z", interactions: 1, users: 1, items: 1 },
        metrics: metricsRows("ials", 0.5, 0.5),
        baselineMetrics: metricsRows("popularity", 0.1, 0.1),
        artifacts: [],
        parentVersion: null,
        trainingId: null,
      },
      "test",
    );
    await markPublished(h.database.db, version, "0".repeat(64), "test");
  }
});

afterAll(async () => {
  await runner?.stop();
  await h?.close();
});

const admin = () => bearer(h.keys.admin);
async function send(method: string, path: string, body?: unknown, headers = admin()): Promise<Response> {
  const response = await app.request(path, body === undefined ? { method, headers } : jsonRequest(method, body, headers));
  expect(response.status, `${method} ${path}: ${await response.clone().text()}`).toBeLessThan(300);
  return response;
}

describe("audit trail of admin actions", () => {
  it("records each action once, with the acting key, the target and the request id", async () => {
    const userId = `${h.prefix}-shopper@example.com`;
    await send("POST", "/api/v1/catalog/items", {
      items: [
        { item_id: `${h.prefix}-i1`, title: "One" },
        { item_id: `${h.prefix}-i2`, title: "Two" },
      ],
    });
    const training = await json(await send("POST", "/api/v1/recs/train", {}));
    await send("POST", "/api/v1/recs/models/v1/promote", {});
    await send("POST", "/api/v1/recs/models/v2/promote", {});
    await send("POST", "/api/v1/recs/models/rollback", {});

    const draft = {
      name: "audited",
      traffic_share: 0.5,
      variants: [
        { key: "A", weight: 50 },
        { key: "B", weight: 50, changes: { model_version: "v3" } },
      ],
      primary_metric: "ctr",
      control: "A",
    };
    const experiment = await json(await send("POST", "/api/v1/recs/experiments", draft));
    await send("PUT", `/api/v1/recs/experiments/${experiment.id}`, { traffic_share: 0.4 });
    await send("POST", `/api/v1/recs/experiments/${experiment.id}/start`, {});
    await send("POST", `/api/v1/recs/experiments/${experiment.id}/stop`, {});
    await send("POST", "/api/v1/recs/models/v3/canary", {});
    await send("POST", "/api/v1/recs/models/canaries/evaluate", {});
    await send("GET", `/api/v1/users/${encodeURIComponent(userId)}/interactions`);
    await send("DELETE", `/internal/v1/users/${encodeURIComponent(userId)}`, undefined, bearer(BACKEND_TOKEN));

    const page = await json(await send("GET", "/api/v1/audit?limit=100"));
    const entries = [...page.entries].reverse();
    const actor = `${h.prefix}-admin`;
    const userTarget = `user:${await hashUserId(userId, DEV_USER_ID_HASH_KEY)}`;
    expect(entries.map((e: { action: string; actor: string; target: string | null }) => [e.action, e.actor, e.target])).toEqual([
      ["catalog.upsert", actor, null],
      ["training.request", actor, training.training_id],
      ["model.promote", actor, "v1"],
      ["model.promote", actor, "v2"],
      ["model.rollback", actor, "v1"],
      ["experiment.create", actor, experiment.id],
      ["experiment.update", actor, experiment.id],
      ["experiment.start", actor, experiment.id],
      ["experiment.stop", actor, experiment.id],
      ["canary.start", actor, "v3"],
      ["canary.evaluate", actor, null],
      ["user.read_interactions", actor, userTarget],
      ["user.erase", "edge", userTarget],
    ]);
    expect(entries[0].detail).toEqual({ items: 2, upserted: 2 });
    expect(entries[2].detail).toEqual({ previous: null });
    expect(entries[6].detail).toMatchObject({ fields: ["traffic_share"] });
    expect(entries.every((e: { request_id: string | null }) => typeof e.request_id === "string")).toBe(true);

    const text = JSON.stringify(page);
    expect(text).not.toContain(userId);
    expect(text).not.toContain(h.keys.admin);
  });
});
