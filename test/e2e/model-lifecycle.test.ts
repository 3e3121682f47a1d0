/**
 * Learned models through the public APIs of the whole local stack (wrangler dev, the
 * backend with its training queue, PostgreSQL, Redis): the first model is trained from
 * the demo data and served; a second one is trained and promoted while requests keep
 * coming, without a failed request; rollback works the same way; a corrupted artifact is
 * refused and the serving version stays; the second version, shadowed, scores live
 * requests whose answers stay on the champion, and its lists are compared.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemoData, type DemoData } from "../../backend/demo/generate-demo-data.js";
import { sendWholeBody } from "../../backend/test-support/send-whole-body.js";
import { FEATURE_NAMES } from "../../models/feature-spec.js";
import { sha256OfBytes } from "../../models/hash.js";
import { signManifest, signingKey } from "../../models/manifest-signature.js";
import type { Manifest } from "../../models/model-manifest.js";
import { authed, startIsolatedStack, type IsolatedStack } from "../../scripts/isolated-stack.js";
import { loadDemoAndWait, trainAndWait, trainFirstModel, waitForServedVersion } from "../../scripts/stack-readiness.js";

interface Recs {
  model_version: string;
  items: Array<{ item_id: string; sources: string[]; reason: string }>;
  degraded: string[];
}

interface ShadowComparison {
  requests: number;
  mean_overlap_at_k: number | null;
  shadow_latency_p95_ms: number | null;
}

let stack: IsolatedStack;
let demo: DemoData;
let first: string;
let second: string;

beforeAll(async () => {
  // Every ranked list logged with its head's features, so a short load fills the drift check.
  stack = await startIsolatedStack(30787, 10, undefined, { edgeVars: { FEATURE_LOG_SHARE: "1" } });
  demo = generateDemoData(42, { users: 400 });
  expect(await loadDemoAndWait(stack, demo, () => {})).toBe(true);
  first = await trainFirstModel(stack, () => {});
}, 300_000);

afterAll(async () => {
  await stack?.teardown();
}, 60_000);

async function recs(user: string): Promise<{ status: number; body: Recs | null; timing: string }> {
  const res = await fetch(`${stack.edgeUrl}/v1/recommendations/${user}?limit=10`, authed(stack.secrets.clientKey));
  const body = res.status === 200 ? ((await res.json()) as Recs) : (await res.body?.cancel(), null);
  return { status: res.status, body, timing: res.headers.get("server-timing") ?? "" };
}

async function admin(path: string, method = "POST", body: unknown = {}): Promise<Response> {
  return fetch(`${stack.backendUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.secrets.adminKey}`, "content-type": "application/json" },
    ...(method === "GET" ? {} : { body: JSON.stringify(body) }),
  });
}

/** Requests from `workers` loops until stopped: every status and every served version. */
function load(workers: number) {
  const statuses = new Map<number, number>();
  const versions = new Set<string>();
  let running = true;
  let n = 0;
  const loops = Array.from({ length: workers }, async (_, w) => {
    while (running) {
      const r = await recs(`load-${w}-${n++ % 50}`).catch(() => ({ status: 0, body: null, timing: "" }));
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.body) versions.add(r.body.model_version);
    }
  });
  return {
    statuses,
    versions,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe("learned models end to end", () => {
  it("serves the first model from the registry, and a new user's three views of one cluster steer the next list to it", async () => {
    const registry = (await (await admin("/api/v1/recs/models", "GET")).json()) as { champion: string };
    expect(registry.champion).toBe(first);
    const [cluster, ids] = Object.entries(demo.clusters)[2]!;
    const user = "three-views";
    for (const item of ids.slice(0, 3)) {
      const post = await fetch(`${stack.edgeUrl}/v1/events`, authed(stack.secrets.clientKey, { events: [{ user_id: user, item_id: item, type: "view" }] }));
      expect(post.status).toBe(202);
    }
    const { body, timing } = await recs(user);
    expect(body!.model_version).toBe(first);
    const inCluster = body!.items.filter((i) => ids.includes(i.item_id));
    expect(inCluster.length, `cluster ${cluster}: ${body!.items.map((i) => i.item_id).join(", ")}`).toBeGreaterThanOrEqual(7);
    expect(body!.items.some((i) => i.sources.includes("cf"))).toBe(true);
    expect(timing).toMatch(/retrieval;dur=.*ranker;dur=/);
  });

  it("logs the scores and head features of the lists the ranker ordered, and the drift check compares them with the trainer's serving replay", async () => {
    for (let i = 1; i <= 30; i++) expect((await recs(`demo-user-${i}`)).status).toBe(200);
    type Drift = { reference: { version: string } | null; features: Array<{ feature: string; psi: number; bins: Array<{ current: number }> }> };
    const drift = async () => (await (await admin("/api/v1/data-quality/drift?hours=1", "GET")).json()) as Drift;
    const deadline = Date.now() + 30_000;
    let r = await drift();
    while (!r.features.some((f) => f.feature === "served_score") && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 500));
      r = await drift();
    }
    expect(r.reference?.version).toBe(first);
    const rows = r.features.filter((f) => f.feature === "served_score" || f.feature.startsWith("ranking_"));
    expect(rows.map((f) => f.feature)).toEqual(["served_score", ...FEATURE_NAMES.map((n) => `ranking_${n}`)]);
    for (const f of rows) {
      expect(Number.isFinite(f.psi), f.feature).toBe(true);
      expect(
        f.bins.reduce((sum, b) => sum + b.current, 0),
        f.feature,
      ).toBeCloseTo(1, 6);
    }
  });

  it("trains and promotes a second model under load without a failed request, then rolls back the same way", async () => {
    // A customer whose history arrives only by import, never through the live intake.
    const [, ids] = Object.entries(demo.clusters)[3]!;
    const imported = "imported-only";
    const rows = ids.slice(0, 4).map((item_id, i) => JSON.stringify({ user_id: imported, item_id, type: "purchase", ts: Date.now() - (i + 2) * 86_400_000 }));
    const sent = await fetch(`${stack.backendUrl}/api/v1/interactions/import`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.secrets.adminKey}`, "content-type": "application/x-ndjson" },
      body: rows.join("\n"),
    });
    expect(sent.status, await sent.clone().text()).toBe(200);
    const traffic = load(4);
    // Keep requests flowing on each side of every switch, whatever the training takes.
    const settle = () => new Promise((r) => setTimeout(r, 2_000));
    try {
      await settle();
      second = await trainAndWait(stack, { model_type: "pipeline" }, () => {});
      expect(second).not.toBe(first);
      await waitForServedVersion(stack, second);
      const { body } = await recs(imported);
      expect(body!.model_version).toBe(second);
      expect(body!.items.some((i) => i.sources.includes("cf"))).toBe(true);
      expect(body!.items.filter((i) => ids.includes(i.item_id)).length, body!.items.map((i) => i.item_id).join(", ")).toBeGreaterThanOrEqual(5);
      expect(body!.items.map((i) => i.item_id)).not.toContain(ids[0]);
      await settle();
      const rolled = await admin("/api/v1/recs/models/rollback");
      expect(rolled.status).toBe(200);
      expect(((await rolled.json()) as { version: string }).version).toBe(first);
      await waitForServedVersion(stack, first);
      await settle();
    } finally {
      await traffic.stop();
    }
    const total = [...traffic.statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(50);
    expect([...traffic.statuses.keys()], JSON.stringify([...traffic.statuses])).toEqual([200]);
    expect(traffic.versions.size).toBe(2);
  }, 240_000);

  it("shadows the second version: answers stay on the champion, its lists for the same requests are logged and compared", async () => {
    const start = await admin(`/api/v1/recs/models/${second}/shadow`, "POST", { sample_percent: 100 });
    expect(start.status, await start.clone().text()).toBe(201);
    try {
      // The edge picks the configuration up within its 5 s cache.
      await new Promise((r) => setTimeout(r, 5_500));
      const [, ids] = Object.entries(demo.clusters)[1]!;
      for (let u = 0; u < 30; u++) {
        const user = `shadowed-${u}`;
        const post = await fetch(
          `${stack.edgeUrl}/v1/events`,
          authed(stack.secrets.clientKey, { events: [{ user_id: user, item_id: ids[u % ids.length]!, type: "view" }] }),
        );
        expect(post.status).toBe(202);
        const { status, body } = await recs(user);
        expect(status).toBe(200);
        expect(body!.model_version).toBe(first);
      }
      const readout = async (): Promise<ShadowComparison> => {
        const res = await admin(`/api/v1/recs/models/${second}/shadow`, "GET");
        expect(res.status).toBe(200);
        return ((await res.json()) as { comparison: ShadowComparison }).comparison;
      };
      let comparison = await readout();
      for (let attempt = 0; attempt < 60 && comparison.requests < 30; attempt++) {
        await new Promise((r) => setTimeout(r, 500));
        comparison = await readout();
      }
      expect(comparison.requests).toBe(30);
      // Two versions trained on the same data agree on much.
      expect(comparison.mean_overlap_at_k).toBeGreaterThan(0);
      expect(comparison.shadow_latency_p95_ms).not.toBeNull();
    } finally {
      expect((await admin(`/api/v1/recs/models/${second}/shadow/stop`)).status).toBe(200);
    }
  }, 120_000);

  it("answers an oversized body that the client sends to its end with a JSON 413, at the edge and the backend", async () => {
    const big = new TextEncoder().encode(
      JSON.stringify({ events: [{ user_id: "u", item_id: "i", type: "view", context: { pad: "x".repeat(3 * 1024 * 1024) } }] }),
    );
    const edge = await sendWholeBody(
      `${stack.edgeUrl}/v1/events`,
      { authorization: `Bearer ${stack.secrets.clientKey}`, "content-type": "application/json" },
      big,
      { paceMs: 5 },
    );
    expect(edge.status).toBe(413);
    expect(JSON.parse(edge.body)).toMatchObject({ error: { code: "payload_too_large", field: "body" } });
    const huge = new TextEncoder().encode(JSON.stringify({ items: [{ item_id: "big", title: "x".repeat(17 * 1024 * 1024) }] }));
    const backend = await sendWholeBody(
      `${stack.backendUrl}/api/v1/catalog/items`,
      { authorization: `Bearer ${stack.secrets.adminKey}`, "content-type": "application/json" },
      huge,
      { chunked: true },
    );
    expect(backend.status).toBe(413);
    expect(JSON.parse(backend.body)).toMatchObject({ error: { code: "payload_too_large", field: "body" } });
  });

  it("refuses a version with a corrupted artifact and keeps serving the current one", async () => {
    const edgeAdmin = { authorization: `Bearer ${stack.secrets.edgeAdminToken}` };
    const version = "corrupted-1";
    const garbage = new TextEncoder().encode("this is not an ONNX model");
    const files = [
      { name: "retrieval.onnx", role: "retrieval", bytes: garbage },
      { name: "items.json", role: "items", bytes: new TextEncoder().encode(JSON.stringify({ items: ["a"] })) },
      { name: "neighbours.json", role: "neighbours", bytes: new TextEncoder().encode(JSON.stringify({ similar: {}, bought_together: {} })) },
    ];
    for (const f of files) {
      const put = await fetch(`${stack.edgeUrl}/v1/admin/models/${version}/files/${f.name}`, {
        method: "PUT",
        headers: { ...edgeAdmin, "content-type": "application/octet-stream", "x-content-sha256": await sha256OfBytes(f.bytes) },
        body: f.bytes,
      });
      expect(put.status).toBe(201);
    }
    // A body that does not match its declared checksum never lands.
    const tampered = await fetch(`${stack.edgeUrl}/v1/admin/models/${version}/files/extra.json`, {
      method: "PUT",
      headers: { ...edgeAdmin, "content-type": "application/octet-stream", "x-content-sha256": await sha256OfBytes(garbage) },
      body: new TextEncoder().encode("something else"),
    });
    expect(tampered.status).toBe(400);
    const manifest = {
      version,
      created_at: new Date().toISOString(),
      feature_spec_hash: "0".repeat(64),
      catalog_size: 1,
      retrieval: { path: "in_process", factors: 1, alpha: 1, regularization: 1, strength: { kind: "linear" }, event_weights: { view: 1 }, top_k: 1 },
      ranker: null,
      files: await Promise.all(files.map(async (f) => ({ name: f.name, role: f.role, sha256: await sha256OfBytes(f.bytes), bytes: f.bytes.length }))),
    };
    const putManifest = (body: unknown) =>
      fetch(`${stack.edgeUrl}/v1/admin/models/${version}/manifest`, {
        method: "PUT",
        headers: { ...edgeAdmin, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    // The admin token alone is not enough: an unsigned manifest is refused.
    const unsigned = await putManifest(manifest);
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe("manifest_unsigned");
    const m = await putManifest(await signManifest(manifest as Manifest, await signingKey(stack.secrets.modelSigningKey)));
    expect(m.status).toBe(201);
    const activate = await fetch(`${stack.edgeUrl}/v1/admin/models/active`, {
      method: "PUT",
      headers: { ...edgeAdmin, "content-type": "application/json" },
      body: JSON.stringify({ version }),
    });
    expect(activate.status).toBe(422);
    const { body } = await recs("after-corruption");
    expect(body!.model_version).toBe(first);
  });
});
