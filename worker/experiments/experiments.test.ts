/**
 * Experiments at the edge, in workerd: the backend's published set drives assignment;
 * the variant is sticky (stored in the user's session object), survives a weight change,
 * shows in the body and in X-Experiment, and its changes apply to the list.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, seedKeys, uniq } from "../test-support/fixtures.js";
import { plantWorld } from "../test-support/planted-world.js";
import { forgetExperiments } from "./experiment-set.js";

interface Recs {
  experiment: { id: string; variant: string } | null;
  items: unknown[];
}

const admin = (json: unknown) => api("/v1/admin/experiments", { method: "PUT", json, key: env.EDGE_ADMIN_TOKEN ?? null });

function experiment(id: string, weights: [number, number]) {
  return {
    id,
    name: "Shorter lists",
    salt: `${id}-salt`,
    status: "running",
    traffic_share: 1,
    targeting: {},
    variants: [
      { key: "a", weight: weights[0], changes: {} },
      { key: "b", weight: weights[1], changes: { limit: 3 } },
    ],
    primary_metric: "ctr",
    guardrails: [],
    control: "a",
  };
}

async function publish(weights: [number, number], id: string): Promise<void> {
  const res = await admin({ experiments: [experiment(id, weights)], published_at: new Date().toISOString() });
  expect(res.status, await res.clone().text()).toBe(200);
  forgetExperiments();
}

async function recs(user: string, query = ""): Promise<{ body: Recs; header: string | null }> {
  const res = await api(`/v1/recommendations/${user}?limit=8${query}`);
  expect(res.status).toBe(200);
  return { body: await res.json<Recs>(), header: res.headers.get("x-experiment") };
}

let id: string;
let prefix: string;

beforeAll(async () => {
  await seedKeys();
  prefix = uniq("ex");
  await plantWorld(prefix);
  id = uniq("shorter");
  await publish([50, 50], id);
});

describe("experiments at the edge", () => {
  it("assigns every user, sticks across requests, reports the variant in body and header, and applies its changes", async () => {
    const seen = new Map<string, string>();
    for (let u = 0; u < 60; u++) {
      const user = `${prefix}-u${u}`;
      const first = await recs(user);
      expect(first.body.experiment?.id).toBe(id);
      expect(first.header).toBe(`${id}:${first.body.experiment!.variant}`);
      if (first.body.experiment!.variant === "b") expect(first.body.items.length).toBeLessThanOrEqual(3);
      const again = await recs(user);
      expect(again.body.experiment).toEqual(first.body.experiment);
      seen.set(user, first.body.experiment!.variant);
    }
    const b = [...seen.values()].filter((v) => v === "b").length;
    expect(b).toBeGreaterThan(15);
    expect(b).toBeLessThan(45);

    // Weights change to 90/10: users already assigned keep their variant.
    await publish([90, 10], id);
    for (const [user, variant] of seen) expect((await recs(user)).body.experiment!.variant).toBe(variant);
  }, 60_000);

  it("forces a variant for QA with experiment_id and variant, and refuses variant alone", async () => {
    const user = `${prefix}-qa`;
    const forced = await recs(user, `&experiment_id=${id}&variant=b`);
    expect(forced.body.experiment).toEqual({ id, variant: "b" });
    expect(forced.body.items.length).toBeLessThanOrEqual(3);
    const res = await api(`/v1/recommendations/${user}?variant=b`);
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { field: string } }>()).error.field).toBe("variant");
  });

  it("serves outside experiments when experiment_id names none that is running", async () => {
    const { body, header } = await recs(`${prefix}-other`, "&experiment_id=nothing-here");
    expect(body.experiment).toBeNull();
    expect(header).toBeNull();
  });

  it("refuses an invalid experiment set with the field, and callers without the admin token", async () => {
    const bad = experiment(uniq("bad"), [50, 40]);
    const res = await admin({ experiments: [bad], published_at: new Date().toISOString() });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/variants/);
    const anon = await api("/v1/admin/experiments", { method: "PUT", json: { experiments: [], published_at: new Date().toISOString() }, key: null });
    expect(anon.status).toBe(401);
  });
});
