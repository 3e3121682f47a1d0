import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExperimentSetSchema } from "../../models/experiments/experiment.js";
import { createEdgeExperimentPublisher } from "../experiments/experiment-publisher.js";
import { insertCandidate, markPublished } from "../registry/model-registry.js";
import { bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";
import { startFakeEdge, type FakeEdge } from "../test-support/fake-edge.js";
import { metricsRows } from "../test-support/training-stand-ins.js";

let h: Harness;
let edge: FakeEdge;

beforeAll(async () => {
  edge = await startFakeEdge();
  h = await startHarness({
    redis: "unreachable",
    deps: {
      experiments: {
        // The real HTTP publisher against a recording edge: what the edge receives, in order.
        publisher: createEdgeExperimentPublisher({ edgeUrl: edge.url, edgeAdminToken: "edge-admin", baseDelayMs: 5, maxDelayMs: 5 }),
        attributionWindowHours: 24,
      },
    },
  });
  await registerVersion("mv-published", true);
  await registerVersion("mv-unpublished", false);
});

afterAll(async () => {
  await h?.close();
  await edge?.close();
});

async function registerVersion(version: string, published: boolean): Promise<void> {
  await insertCandidate(
    h.database.db,
    {
      version,
      modelType: "pipeline",
      params: {},
      dataWindow: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-02T00:00:00.000Z", interactions: 1, users: 1, items: 1 },
      metrics: metricsRows("ials", 0.3, 0.3),
      baselineMetrics: metricsRows("popularity", 0.1, 0.1),
      artifacts: [],
      parentVersion: null,
      trainingId: null,
    },
    "test",
  );
  if (published) await markPublished(h.database.db, version, "a".repeat(64), "test");
}

const BASE = "/api/v1/recs/experiments";
const admin = () => bearer(h.keys.admin);
const post = (path: string, body: unknown = {}, headers = admin()) => h.request(path, jsonRequest("POST", body, headers));
const put = (path: string, body: unknown, headers = admin()) => h.request(path, jsonRequest("PUT", body, headers));
const get = (path: string, headers = admin()) => h.request(path, { headers });

function draft(overrides: Record<string, unknown> = {}) {
  return {
    name: "Ranker v2 on home",
    hypothesis: "The new ranker raises CTR",
    traffic_share: 0.5,
    variants: [
      { key: "A", weight: 50 },
      { key: "B", weight: 50, changes: { model_version: "mv-published" } },
    ],
    primary_metric: "ctr",
    control: "A",
    ...overrides,
  };
}

async function create(overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await post(BASE, draft(overrides));
  expect(response.status).toBe(201);
  return (await json(response)).id;
}

/** The experiment ids of each set the edge received, in order. */
function publishedSets(): string[][] {
  return edge.requests
    .filter((r) => r.method === "PUT" && r.path === "/v1/admin/experiments")
    .map((r) => ExperimentSetSchema.parse(r.body).experiments.map((e) => e.id));
}

describe("POST /api/v1/recs/experiments", () => {
  it("creates a draft with a generated id and salt, the shared schema's defaults and an audit entry", async () => {
    const response = await post(BASE, draft());
    expect(response.status).toBe(201);
    const body = await json(response);
    expect(body).toMatchObject({
      id: expect.stringMatching(/^ranker-v2-on-home-[0-9a-f]{6}$/),
      name: "Ranker v2 on home",
      hypothesis: "The new ranker raises CTR",
      status: "draft",
      started_at: null,
      stopped_at: null,
      config: {
        salt: expect.stringMatching(/^[0-9a-f]{16}$/),
        status: "draft",
        traffic_share: 0.5,
        traffic_offset: 0,
        targeting: {},
        guardrails: [],
        variants: [
          { key: "A", weight: 50, changes: {} },
          { key: "B", weight: 50, changes: { model_version: "mv-published" } },
        ],
      },
    });
    expect(body.config.id).toBe(body.id);

    const detail = await json(await get(`${BASE}/${body.id}`));
    expect(detail.events).toEqual([{ action: "created", actor: `api-key:${h.prefix}-admin`, detail: { config: body.config }, at: expect.any(String) }]);
  });

  it("gives every experiment its own id and salt, even with the same name", async () => {
    const a = await json(await post(BASE, draft({ name: "Same" })));
    const b = await json(await post(BASE, draft({ name: "Same" })));
    expect(a.id).not.toBe(b.id);
    expect(a.config.salt).not.toBe(b.config.salt);
    const odd = await json(await post(BASE, draft({ name: "  Ünïcode — ✓ test!! " })));
    expect(odd.id).toMatch(/^unicode-test-[0-9a-f]{6}$/);
  });

  it("400s weights that do not sum to 100, naming variants", async () => {
    const response = await post(
      BASE,
      draft({
        variants: [
          { key: "A", weight: 50 },
          { key: "B", weight: 40 },
        ],
      }),
    );
    expect(response.status).toBe(400);
    const error = (await json(response)).error;
    expect(error).toMatchObject({ code: "invalid_request", field: "variants" });
    expect(error.message).toContain("variants: weights must sum to 100, not 90");
    expect(error.problems).toEqual([{ field: "variants", message: "weights must sum to 100, not 90" }]);
  });

  it("400s a model version the registry has not published", async () => {
    for (const version of ["mv-nope", "mv-unpublished"]) {
      const response = await post(
        BASE,
        draft({
          variants: [
            { key: "A", weight: 50 },
            { key: "B", weight: 50, changes: { model_version: version } },
          ],
        }),
      );
      expect(response.status).toBe(400);
      const error = (await json(response)).error;
      expect(error).toMatchObject({
        field: "variants.1.changes.model_version",
        message: `variants.1.changes.model_version: unknown model version "${version}"`,
      });
    }
  });

  it("lists every problem of the body at once, each with its field", async () => {
    const response = await post(BASE, { ...draft({ traffic_share: 2, control: "C" }), id: "mine", colour: "red" });
    expect(response.status).toBe(400);
    const error = (await json(response)).error;
    expect(error.code).toBe("invalid_request");
    expect(error.problems.map((p: { field: string }) => p.field).sort()).toEqual(["colour", "id", "traffic_share"]);
    expect(error.field).toBe(error.problems[0].field);
    // The control is judged once the shape is right.
    const control = await json(await post(BASE, draft({ control: "C" })));
    expect(control.error).toMatchObject({ field: "control", message: 'control: must be one of the variant keys (A, B), not "C"' });
  });

  it.each([
    [{ name: "" }, "name"],
    [{ primary_metric: "revenue" }, "primary_metric"],
    [{ variants: [{ key: "A", weight: 100 }] }, "variants"],
    [
      {
        variants: [
          { key: "A:1", weight: 50 },
          { key: "B", weight: 50 },
        ],
      },
      "variants.0.key",
    ],
    [{ guardrails: [{ metric: "error_rate", threshold: 5 }] }, "guardrails.0.threshold"],
    [{ targeting: { devices: ["fridge"] } }, "targeting.devices.0"],
  ])("400s %j naming %s", async (overrides, field) => {
    const response = await post(BASE, draft(overrides));
    expect(response.status).toBe(400);
    expect((await json(response)).error.field).toBe(field);
  });

  it("400s a body that is not an object", async () => {
    const response = await post(BASE, []);
    expect(response.status).toBe(400);
    expect((await json(response)).error.field).toBe("body");
  });

  it("needs an admin key", async () => {
    expect((await post(BASE, draft(), {})).status).toBe(401);
    expect((await post(BASE, draft(), bearer(h.keys.client))).status).toBe(403);
    expect((await get(BASE, bearer(h.keys.reader))).status).toBe(403);
    expect((await get(`${BASE}/x/results`, {})).status).toBe(401);
  });
});

describe("the experiment lifecycle", () => {
  let x: string;
  let y: string;
  let w: string;

  it("starts a draft, publishes the running set and records both", async () => {
    const before = publishedSets().length;
    x = await create({ name: "X", traffic_share: 0.5 });
    const response = await post(`${BASE}/${x}/start`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ id: x, status: "running", placement: null, config: { status: "running", traffic_offset: 0 } });
    expect(body.started_at).not.toBeNull();
    expect(publishedSets().slice(before)).toEqual([[x]]);
    const sent = edge.requests.filter((r) => r.path === "/v1/admin/experiments").at(-1)!;
    expect(sent.authorization).toBe("Bearer edge-admin");
    expect(ExperimentSetSchema.parse(sent.body).experiments[0]).toEqual(body.config);

    const events = (await json(await get(`${BASE}/${x}`))).events;
    expect(events.map((e: { action: string }) => e.action)).toEqual(["created", "started", "published"]);
    expect(events[2].detail).toMatchObject({ experiments: [x], attempts: 1, trigger: "started", published_at: expect.any(String) });
  });

  it("moves an experiment that overlaps only by traffic slice to a free slice, and says so", async () => {
    y = await create({ name: "Y", traffic_share: 0.5 });
    const response = await post(`${BASE}/${y}/start`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.placement).toEqual({ requested: 0, placed: 0.5, overlapped: [x] });
    expect(body.config.traffic_offset).toBe(0.5);
    const started = (await json(await get(`${BASE}/${y}`))).events.find((e: { action: string }) => e.action === "started");
    expect(started.detail.placement).toMatchObject({ requested: 0, placed: 0.5, overlapped: [x] });
    expect(started.detail.placement.reason).toContain(`overlapped running experiment(s) "${x}"`);
    expect(publishedSets().at(-1)).toEqual([x, y]);
  });

  it("409s starting an experiment whose traffic cannot fit beside a running one, naming it", async () => {
    const z = await create({ name: "Z", traffic_share: 0.6 });
    const before = publishedSets().length;
    const response = await post(`${BASE}/${z}/start`);
    expect(response.status).toBe(409);
    const error = (await json(response)).error;
    expect(error).toMatchObject({ code: "conflict", field: "traffic_share" });
    expect(error.message).toContain(`overlaps running experiment "${x}"`);
    expect(error.problems.length).toBeGreaterThanOrEqual(1);
    expect(publishedSets().length).toBe(before);
    expect((await json(await get(`${BASE}/${z}`))).status).toBe("draft");

    // Targeting that cannot meet the running ones' does not overlap them at all.
    // X and Y target every context, so an "email" experiment still meets them.
    const elsewhere = await create({ name: "Email only", traffic_share: 1, targeting: { contexts: ["email"] } });
    expect((await post(`${BASE}/${elsewhere}/start`)).status).toBe(409);
  });

  it("lets a running experiment change only its traffic share and weights, and re-publishes", async () => {
    const name = await put(`${BASE}/${y}`, { name: "Y renamed" });
    expect(name.status).toBe(409);
    expect((await json(name)).error).toMatchObject({ code: "conflict", field: "name" });

    const changes = await put(`${BASE}/${y}`, {
      variants: [
        { key: "A", weight: 50 },
        { key: "B", weight: 50, changes: {} },
      ],
    });
    expect(changes.status).toBe(409);
    expect((await json(changes)).error.field).toBe("variants.1.changes");

    const renamed = await put(`${BASE}/${y}`, {
      variants: [
        { key: "A", weight: 50 },
        { key: "C", weight: 50, changes: { model_version: "mv-published" } },
      ],
    });
    expect((await json(renamed)).error.field).toBe("variants.1.key");

    const badSum = await put(`${BASE}/${y}`, {
      variants: [
        { key: "A", weight: 20 },
        { key: "B", weight: 70, changes: { model_version: "mv-published" } },
      ],
    });
    expect(badSum.status).toBe(400);
    expect((await json(badSum)).error.field).toBe("variants");

    const grow = await put(`${BASE}/${y}`, { traffic_share: 0.6 });
    expect(grow.status).toBe(400);
    expect((await json(grow)).error.field).toBe("traffic_offset");

    const before = publishedSets().length;
    const weights = await put(`${BASE}/${y}`, {
      traffic_share: 0.4,
      variants: [
        { key: "A", weight: 30 },
        { key: "B", weight: 70, changes: { model_version: "mv-published" } },
      ],
    });
    expect(weights.status).toBe(200);
    expect((await json(weights)).config).toMatchObject({ traffic_share: 0.4, traffic_offset: 0.5, variants: [{ weight: 30 }, { weight: 70 }] });
    expect(publishedSets().slice(before)).toEqual([[x, y]]);
    const set = ExperimentSetSchema.parse(edge.requests.filter((r) => r.path === "/v1/admin/experiments").at(-1)!.body);
    expect(set.experiments[1]!.variants.map((v) => v.weight)).toEqual([30, 70]);

    const events = (await json(await get(`${BASE}/${y}`))).events;
    expect(events.slice(-2).map((e: { action: string }) => e.action)).toEqual(["updated", "published"]);
    expect(events.at(-2).detail.changes).toMatchObject({ traffic_share: { from: 0.5, to: 0.4 }, variants: { from: [{ weight: 50 }, { weight: 50 }] } });

    // The same values again change nothing, publish nothing, record nothing.
    const again = await put(`${BASE}/${y}`, { traffic_share: 0.4 });
    expect(again.status).toBe(200);
    expect(publishedSets().length).toBe(before + 1);
    expect((await json(await get(`${BASE}/${y}`))).events).toHaveLength(events.length);
  });

  it("stops a running experiment for good and publishes the rest", async () => {
    const before = publishedSets().length;
    const response = await post(`${BASE}/${x}/stop`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ status: "stopped", config: { status: "stopped" } });
    expect(body.stopped_at).not.toBeNull();
    expect(publishedSets().slice(before)).toEqual([[y]]);

    for (const [call, field] of [
      [() => post(`${BASE}/${x}/stop`), "status"],
      [() => post(`${BASE}/${x}/start`), "status"],
      [() => put(`${BASE}/${x}`, { traffic_share: 0.1 }), "status"],
    ] as const) {
      const refused = await call();
      expect(refused.status).toBe(409);
      expect((await json(refused)).error.field).toBe(field);
    }
    const events = (await json(await get(`${BASE}/${x}`))).events;
    expect(events.map((e: { action: string }) => e.action)).toEqual(["created", "started", "published", "stopped", "published"]);
    expect(events.at(-1).detail).toMatchObject({ experiments: [y], trigger: "stopped" });
  });

  it("changes nothing when the edge does not take the new set, and says so with a 503", async () => {
    w = await create({ name: "W", traffic_share: 0.1, targeting: { contexts: ["cart"] } });
    const before = edge.requests.length;
    edge.experimentAnswers = [503, 503, 503];
    const response = await post(`${BASE}/${w}/start`);
    expect(response.status).toBe(503);
    expect((await json(response)).error).toMatchObject({ code: "edge_unavailable", message: expect.stringContaining("nothing was changed") });
    // Retried (5xx) the interactive number of times, then rolled back.
    expect(edge.requests.length - before).toBe(3);
    const detail = await json(await get(`${BASE}/${w}`));
    expect(detail.status).toBe("draft");
    expect(detail.events.map((e: { action: string }) => e.action)).toEqual(["created"]);

    edge.experimentAnswers = [400];
    expect((await post(`${BASE}/${w}/start`)).status).toBe(503);
    expect((await json(await get(`${BASE}/${w}`))).status).toBe("draft");

    // Once the edge answers, the same call works.
    const ok = await post(`${BASE}/${w}/start`);
    expect(ok.status).toBe(200);
    expect(publishedSets().at(-1)).toEqual([y, w]);
  });

  it("changes a draft freely", async () => {
    const d = await create({ name: "Draft" });
    const response = await put(`${BASE}/${d}`, { name: "Draft 2", primary_metric: "conversion_rate", targeting: { devices: ["mobile"] } });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      id: d,
      name: "Draft 2",
      config: { name: "Draft 2", primary_metric: "conversion_rate", targeting: { devices: ["mobile"] } },
    });
    const events = (await json(await get(`${BASE}/${d}`))).events;
    expect(events.map((e: { action: string }) => e.action)).toEqual(["created", "updated"]);
    expect(Object.keys(events[1].detail.changes).sort()).toEqual(["name", "primary_metric", "targeting"]);

    const bad = await put(`${BASE}/${d}`, { control: "Z", colour: 1 });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe("colour");
    const badControl = await put(`${BASE}/${d}`, { control: "Z" });
    expect((await json(badControl)).error.field).toBe("control");
  });

  it("lists experiments, newest first, optionally by status", async () => {
    const running = await json(await get(`${BASE}?status=running`));
    expect(running.experiments.map((e: { id: string }) => e.id).sort()).toEqual([y, w].sort());
    const all = await json(await get(`${BASE}?limit=200`));
    const times = all.experiments.map((e: { created_at: string }) => e.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    expect((await json(await get(`${BASE}?status=paused`))).error.field).toBe("status");
  });

  it("404s an unknown experiment and 400s a malformed id", async () => {
    for (const path of [`${BASE}/nope-000000`, `${BASE}/nope-000000/results`]) {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect((await json(response)).error).toMatchObject({ code: "not_found", field: "id" });
    }
    expect((await post(`${BASE}/nope-000000/start`)).status).toBe(404);
    expect((await put(`${BASE}/nope-000000`, { name: "n" })).status).toBe(404);
    const bad = await get(`${BASE}/bad:id`);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe("id");
  });

  it("documents the routes in /openapi.json", async () => {
    const doc = await json(await h.request("/openapi.json"));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([BASE, `${BASE}/{id}`, `${BASE}/{id}/start`, `${BASE}/{id}/stop`, `${BASE}/{id}/results`]));
    expect(doc.components.schemas.ExperimentResults).toBeDefined();
  });
});
