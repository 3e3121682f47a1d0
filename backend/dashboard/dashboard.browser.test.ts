/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a
 * real backend on PostgreSQL: models trained through the API by a scripted trainer, an
 * experiment fed planted lists and clicks through the ingest endpoint, a canary and a
 * shadow started through the API. Every page is loaded, and the figures it shows are
 * compared with the API's own answers, written with the page's formatters. Promote,
 * roll back and stop are clicked, with their confirmations. Each page is screenshot to
 * .data/dashboard-screenshots/.
 */
import { existsSync, mkdirSync } from "node:fs";
import { serve, type ServerType } from "@hono/node-server";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServedList, StoredEvent, StoredFeedback } from "../../models/events.js";
import { mulberry32 } from "../../models/prng.js";
import { featureReferences, scoreReference } from "../data-quality/score-reference.js";
import { experiments, modelVersions } from "../db/schema.js";
import { BACKEND_TOKEN, bearer, json, jsonRequest, startHarness, type Harness } from "../test-support/backend-harness.js";
import { fullBackendApp } from "../test-support/full-app.js";
import { freePort } from "../test-support/free-port.js";
import { makeCandidate, scriptedTrainer, type ScriptedTrainer } from "../test-support/training-stand-ins.js";
import type { TrainingRunner } from "../training-jobs/job-runner.js";
import { eq } from "drizzle-orm";
import type { Canary, ExperimentResults, ModelVersion } from "./ui/api-types.js";
import { count, fixed, gated, ms, percent, perSecond, time } from "./ui/format.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = ".data/dashboard-screenshots";
const HOUR = 3_600_000;

let h: Harness;
let runner: TrainingRunner;
let trainer: ScriptedTrainer;
let server: ServerType;
let base: string;
let browser: Browser;
let page: Page;
let app: ReturnType<typeof fullBackendApp>["app"];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`the dashboard test needs Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  h = await startHarness({ redis: "unreachable" });
  trainer = scriptedTrainer();
  ({ app, runner } = fullBackendApp(h, {}, { trainer: trainer.trainer, progressIntervalMs: 0 }));
  await runner.start();
  const port = await freePort();
  server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
  base = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on("dialog", (d) => void d.accept());
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  await runner?.stop();
  await h?.close();
});

const admin = () => bearer(h.keys.admin);
/** Through this file's app (training, experiments and shadows mounted), not the harness's plain one. */
const call = (path: string, init?: RequestInit) => app.request(path, init);
const api = async (path: string) => json(await call(path, { headers: admin() }));
const apiPost = (path: string, body: unknown = {}) => call(path, jsonRequest("POST", body, admin()));

/** Opens a page of the dashboard and waits until it has drawn. */
async function open(route: string): Promise<void> {
  await page.goto(`${base}/dashboard/#/${route}`);
  await waitDrawn(route.split("/")[0] as string);
}

async function waitDrawn(name: string): Promise<void> {
  await page.locator(`[data-page="${name}"][aria-busy="false"]`).waitFor();
}

const figure = async (name: string) => ((await page.locator(`[data-figure="${name}"]`).textContent()) ?? "").trim();

function rows(name: string): Promise<string[][]> {
  return page.$$eval(`[data-table="${name}"] tbody tr`, (trs) =>
    trs.map((tr) => Array.from(tr.children as ArrayLike<{ textContent: string | null }>, (c) => (c.textContent ?? "").trim())),
  );
}

const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

async function train(plan: { version: string; ndcg: number; recall: number }): Promise<void> {
  trainer.next(plan);
  expect((await apiPost("/api/v1/recs/train")).status).toBe(202);
  await runner.idle();
}

describe("the dashboard", () => {
  it("asks for a key, and says so when the key is refused", async () => {
    await page.goto(`${base}/dashboard`);
    await expect(page.locator("main .notice").textContent()).resolves.toMatch(/Enter an admin API key/);
    await page.fill('input[name="key"]', "rk_test_not_a_real_key_0000000000");
    await page.click('button[type="submit"]');
    await expect(page.locator('[role="alert"]').textContent()).resolves.toMatch(/not accepted \(401\)/);
    await page.fill('input[name="key"]', h.keys.reader);
    await page.click('button[type="submit"]');
    await expect(page.locator('[role="alert"]').textContent()).resolves.toMatch(/lacks the scope/);
    await page.fill('input[name="key"]', h.keys.admin);
    await page.click('button[type="submit"]');
    await waitDrawn("models");
  });

  it("serves its page, script and styles from its own origin, under a strict content policy", async () => {
    const response = await fetch(`${base}/dashboard/`);
    expect(response.headers.get("content-security-policy")).toMatch(/default-src 'none'; script-src 'self'/);
    const script = await fetch(`${base}/dashboard/dashboard.js`);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect((await script.text()).length).toBeGreaterThan(20_000); // uPlot is bundled in
    expect(await (await fetch(`${base}/dashboard/dashboard.css`)).text()).toMatch(/\.uplot/);
  });

  it("shows the registry as the API has it, with a metrics chart, and promotes and rolls back on a click", async () => {
    await train({ version: "20260601-a", ndcg: 0.21, recall: 0.3 });
    await train({ version: "20260602-b", ndcg: 0.25, recall: 0.34 });
    await train({ version: "20260603-c", ndcg: 0.23, recall: 0.33 });
    await open("models");
    const list = await api("/api/v1/recs/models?limit=100");
    expect(list.models).toHaveLength(3);
    expect(await figure("champion")).toBe(list.champion ?? "none");
    expect(await figure("versions")).toBe("3");
    const expected = list.models.map((m: ModelVersion) => [
      m.version,
      m.model_type,
      m.status,
      time(m.created_at),
      fixed(gated(m.metrics, "ndcg")),
      fixed(gated(m.metrics, "recall")),
      fixed(gated(m.baseline_metrics, "ndcg")),
    ]);
    expect((await rows("models")).map((r) => r.slice(0, 7))).toEqual(expected);
    expect(await page.locator('[data-chart="model-metrics"] canvas').count()).toBe(1);
    await shot("models");

    const target = list.models.find((m: { version: string; status: string }) => m.version !== list.champion && m.status === "retired")?.version;
    expect(target).toBeDefined();
    const before = list.champion;
    await page.locator('[data-table="models"] tr', { hasText: target }).getByRole("button", { name: "Promote" }).click();
    await page.locator('[data-figure="champion"]', { hasText: target }).waitFor();
    expect((await api("/api/v1/recs/models")).champion).toBe(target);

    await page.getByRole("button", { name: "Roll back the champion" }).click();
    await page.locator('[data-figure="champion"]', { hasText: before }).waitFor();
    expect((await api("/api/v1/recs/models")).champion).toBe(before);
  });

  it("shows training jobs with their progress as they run", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    trainer.next(async (req, progress) => {
      progress(0.4, "fitting factors");
      await held;
      return makeCandidate({ version: "20260604-d", ndcg: 0.27, recall: 0.36 }, req);
    });
    await open("training");
    await page.getByRole("button", { name: "Train now" }).click();
    // The page polls: the running job appears with its step and progress without a reload.
    const running = page.locator('[data-table="jobs"] tr', { hasText: "fitting factors" });
    await running.waitFor();
    expect(await running.textContent()).toMatch(/running[\s\S]*40%/);
    await shot("training");
    release();
    await runner.idle();
    await page.locator('[data-table="jobs"] tr', { hasText: "20260604-d" }).locator(".badge.succeeded").waitFor();
    const { jobs } = await api("/api/v1/recs/train?limit=50");
    expect((await rows("jobs")).map((r) => [r[1], r[4]])).toEqual(jobs.map((j: { status: string; version: string | null }) => [j.status, j.version ?? "–"]));
  });

  let experimentId: string;

  it("shows an experiment's readout and its cumulative CTR with confidence bands", async () => {
    const created = await apiPost("/api/v1/recs/experiments", {
      name: "Dashboard lift",
      traffic_share: 0.2,
      variants: [
        { key: "A", weight: 50 },
        { key: "B", weight: 50 },
      ],
      primary_metric: "ctr",
      control: "A",
      guardrails: [{ metric: "latency_p95_ms", threshold: 150 }],
    });
    experimentId = (await json(created)).id;
    expect((await apiPost(`/api/v1/recs/experiments/${experimentId}/start`)).status).toBe(200);
    const start = Date.now() - 10 * HOUR;
    await h.database.db
      .update(experiments)
      .set({ startedAt: new Date(start) })
      .where(eq(experiments.id, experimentId));
    await plantExperiment(experimentId, start, 1200);

    await open("experiments");
    expect((await rows("experiments"))[0]?.slice(0, 2)).toEqual(["Dashboard lift", "running"]);
    await page.getByRole("link", { name: "Dashboard lift" }).click();
    await waitDrawn("experiment");
    await page.locator('[data-chart="experiment-ctr"] canvas').waitFor();

    // The results call counts as a look; compare with a readout taken right after the page's.
    const r = await api(`/api/v1/recs/experiments/${experimentId}/results`);
    expect(await figure("verdict")).toBe(r.verdict);
    expect(r.verdict).toMatch(/^B beats A on CTR/);
    expect(await figure("srm-p")).toBe(fixed(r.srm.p_value));
    expect(await figure("guardrails-note")).toBe(r.guardrails_note);
    expect(await rows("variants")).toEqual(
      r.variants.map((v: ExperimentResults["variants"][number]) => [
        v.variant === "A" ? "A (control)" : v.variant,
        `${v.weight}%`,
        count(v.users),
        count(v.lists),
        count(v.impressions),
        count(v.clicks),
        percent(v.ctr.rate),
        `${percent(v.ctr.lower)} – ${percent(v.ctr.upper)}`,
        count(v.conversions),
        percent(v.conversion_rate.rate),
      ]),
    );
    // The chart: one line and two band edges per variant, drawn from the timeline.
    const legend = await page.$$eval('[data-chart="experiment-ctr"] .u-legend .u-series .u-label', (els) => els.map((e) => e.textContent));
    expect(legend).toEqual(["Time", "A", "A upper", "A lower", "B", "B upper", "B lower"]);
    await shot("experiment");

    await page.getByRole("button", { name: "Stop experiment" }).click();
    await page.locator("h2 .badge.stopped").waitFor();
    expect((await api(`/api/v1/recs/experiments/${experimentId}`)).status).toBe("stopped");
  });

  it("lists canaries and shadows with their readouts", async () => {
    const { champion, models } = await api("/api/v1/recs/models?limit=100");
    const others = models
      .filter((m: { version: string; status: string }) => m.version !== champion && m.status === "retired")
      .map((m: { version: string }) => m.version);
    expect(others.length).toBeGreaterThanOrEqual(2);
    expect((await apiPost(`/api/v1/recs/models/${others[0]}/canary`, { traffic_percent: 10 })).status).toBe(201);
    expect((await apiPost(`/api/v1/recs/models/${others[1]}/shadow`, { sample_percent: 5 })).status).toBe(201);

    await open("rollouts");
    const { canaries } = await api("/api/v1/recs/models/canaries?limit=50");
    expect(await rows("canaries")).toEqual(
      canaries.map((c: Canary) => [c.version, c.champion_version, `${c.traffic_percent}%`, c.status, c.reason ?? "–", time(c.created_at), time(c.decided_at)]),
    );
    const s = await api(`/api/v1/recs/models/${others[1]}/shadow`);
    expect(await rows("shadows")).toEqual([
      [
        s.shadow.version,
        s.shadow.champion_version,
        "5%",
        "running",
        String(s.comparison.requests),
        fixed(s.comparison.mean_overlap_at_k, 3),
        percent(s.comparison.served_hit_rate),
        percent(s.comparison.shadow_hit_rate),
        ms(s.comparison.served_latency_p95_ms),
        ms(s.comparison.shadow_latency_p95_ms),
      ],
    ]);
    await shot("rollouts");
  });

  it("shows live rates equal to the API's after a burst of served lists", async () => {
    const now = Date.now();
    const served: ServedList[] = Array.from({ length: 120 }, (_, i) => ({
      request_id: `${h.prefix}-live-${i}`,
      user_id: `${h.prefix}-live-u${i % 30}`,
      model_version: "20260602-b",
      context: "home",
      items: ["x1", "x2"],
      degraded: i % 10 === 0 ? ["features"] : [],
      ts: now,
      latency_ms: 3 + (i % 7),
    }));
    const ingest = await call("/internal/v1/ingest", jsonRequest("POST", { served }, bearer(BACKEND_TOKEN)));
    expect(ingest.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100 - (Date.now() % 1000))); // the current second is not counted
    await open("live");
    const live = await api("/api/v1/ops/live?seconds=60");
    expect(live.served_lists).toBeGreaterThanOrEqual(120);
    expect(await figure("served-lists")).toBe(count(live.served_lists));
    expect(await figure("served-per-second")).toBe(perSecond(live.served_per_second));
    expect(await figure("ingested-per-second")).toBe(perSecond(live.ingested_per_second));
    expect(await figure("latency-p50")).toBe(ms(live.latency_ms.p50));
    expect(await figure("latency-p99")).toBe(ms(live.latency_ms.p99));
    expect(await figure("degraded-share")).toBe(percent(live.degraded_share));
    expect(await rows("stages")).toEqual(Object.entries(live.degraded_by_stage).map(([stage, n]) => [stage, count(n as number)]));
    await shot("live");
  });

  it("shows the data-quality checks, the drift against the training window and their alerts", async () => {
    const now = Date.now();
    // The champion's training window is January 2026 (the scripted trainer's): its events favour items 0 and 1.
    const january = Date.UTC(2026, 0, 10);
    const reference: StoredEvent[] = Array.from({ length: 400 }, (_, i) => ({
      event_id: `${h.prefix}-ref-${i}`,
      user_id: `${h.prefix}-dq-u${i % 8}`,
      session_id: null,
      item_id: `not-in-catalog-${i % 3 === 0 ? 4 : i % 2}`,
      type: i % 4 === 0 ? "click" : "view",
      value: null,
      ts: january + i * 60_000,
      context: null,
    }));
    expect((await call("/internal/v1/ingest", jsonRequest("POST", { events: reference }, bearer(BACKEND_TOKEN)))).status).toBe(200);
    const events: StoredEvent[] = Array.from({ length: 240 }, (_, i) => ({
      event_id: `${h.prefix}-dq-${i}`,
      user_id: `${h.prefix}-dq-u${i % 8}`,
      session_id: null,
      item_id: `not-in-catalog-${i % 5}`,
      type: i % 4 === 0 ? "click" : "view",
      value: null,
      ts: now - 60_000,
      context: null,
    }));
    expect((await call("/internal/v1/ingest", jsonRequest("POST", { events }, bearer(BACKEND_TOKEN)))).status).toBe(200);
    await plantServedScores((await api("/api/v1/recs/models")).champion, now - 120_000);
    await open("data-quality");
    const r = await api("/api/v1/data-quality?hours=1");
    expect(await figure("events")).toBe(count(r.events));
    expect(await figure("unknown-item-share")).toBe(percent(r.unknown_item_share));
    expect(await figure("invalid-event-share")).toBe(percent(r.invalid_event_share));
    const drift = await api("/api/v1/data-quality/drift");
    const alerts = [...r.alerts, ...drift.alerts];
    expect(await figure("alerts")).toBe(count(alerts.length));
    expect(alerts.map((a: { check: string }) => a.check)).toEqual(expect.arrayContaining(["unknown_items", "drift"]));
    expect(await page.locator('[data-list="alerts"] li').allTextContents()).toEqual(
      alerts.map((a: { check: string; message: string }) => `${a.check}: ${a.message}`),
    );
    expect(drift.reference).toMatchObject({ version: (await api("/api/v1/recs/models")).champion, events: 400 });
    expect((await rows("drift")).map((row) => row.slice(0, 2))).toEqual(
      drift.features.map((f: { feature: string; psi: number }) => [f.feature, fixed(f.psi, 3)]),
    );
    expect((await rows("drift")).map((row) => row[0])).toEqual(expect.arrayContaining(["served_score", "ranking_retrieval_score", "ranking_history_items"]));
    expect(await rows("by-type")).toEqual(Object.entries(r.by_type).map(([type, n]) => [type, count(n as number)]));
    await shot("data-quality");
  });
});

/**
 * A serving reference on the champion's registry row, as the trainer keeps one, and 30
 * of its lists served with scores and two head features: the scores a little lower than
 * the reference's, history_items much longer (a drifted row), retrieval_score as before.
 */
async function plantServedScores(champion: string, at: number): Promise<void> {
  const rng = mulberry32(7);
  const list = (shift: number, longer: boolean) =>
    Array.from({ length: 20 }, () => ({
      score: Math.round((rng() - shift) * 40) / 40,
      retrieval: Math.round(rng() * 50) / 50,
      history: Math.floor(rng() * (longer ? 30 : 10)),
    }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
  const lists = Array.from({ length: 200 }, () => list(0, false));
  const groups = lists.map((_, i) => i * 10).concat(lists.length * 10);
  const rows = lists.flat();
  const scores = rows.map((r) => r.score);
  const ranker_report = {
    servedScores: scoreReference(scores, groups),
    servedFeatures: featureReferences(
      rows.flatMap((r) => [r.retrieval, r.history]),
      ["retrieval_score", "history_items"],
      scores,
      groups,
    ),
  };
  const [row] = await h.database.db.select({ params: modelVersions.params }).from(modelVersions).where(eq(modelVersions.version, champion));
  await h.database.db
    .update(modelVersions)
    .set({ params: { ...row!.params, ranker_report } })
    .where(eq(modelVersions.version, champion));
  const served: ServedList[] = Array.from({ length: 30 }, (_, i) => {
    const head = list(0.1, true);
    return {
      request_id: `${h.prefix}-scored-${i}`,
      user_id: `${h.prefix}-scored-u${i}`,
      model_version: champion,
      context: null,
      items: head.map((_, k) => `item-${k}`),
      degraded: [],
      ts: at + i * 1000,
      scores: head.map((r) => r.score),
      features: head.flatMap((r) => [r.retrieval, r.history]),
    };
  });
  expect((await call("/internal/v1/ingest", jsonRequest("POST", { served }, bearer(BACKEND_TOKEN)))).status).toBe(200);
}

/** Users split 50/50; two lists of five items each over the ten hours; B's items are clicked more often. */
async function plantExperiment(id: string, start: number, users: number): Promise<void> {
  const rng = mulberry32(42);
  const served: ServedList[] = [];
  const feedback: StoredFeedback[] = [];
  for (let u = 0; u < users; u++) {
    const variant = rng() < 0.5 ? "A" : "B";
    for (let l = 0; l < 2; l++) {
      const request = `${id}-r${u}-${l}`;
      const ts = start + Math.floor(((u * 2 + l) / (users * 2)) * 9.5 * HOUR);
      const items = Array.from({ length: 5 }, (_, k) => `item-${(u * 7 + l * 5 + k) % 200}`);
      served.push({
        request_id: request,
        user_id: `${id}-u${u}`,
        model_version: "v",
        context: "home",
        items,
        degraded: [],
        ts,
        latency_ms: 20,
        experiment: { id, variant },
      });
      for (const item of items) {
        if (rng() < (variant === "A" ? 0.08 : 0.14))
          feedback.push({ feedback_id: `${request}-${item}`, request_id: request, user_id: `${id}-u${u}`, item_id: item, type: "click", ts: ts + 60_000 });
      }
    }
  }
  const batches = [...chunks(served).map((s) => ({ served: s })), ...chunks(feedback).map((f) => ({ feedback: f }))];
  for (const batch of batches) expect((await call("/internal/v1/ingest", jsonRequest("POST", batch, bearer(BACKEND_TOKEN)))).status).toBe(200);
}

/** The ingest endpoint takes up to 1,000 rows of each kind. */
function chunks<T>(rows: readonly T[]): T[][] {
  return Array.from({ length: Math.ceil(rows.length / 1000) }, (_, i) => rows.slice(i * 1000, (i + 1) * 1000));
}
