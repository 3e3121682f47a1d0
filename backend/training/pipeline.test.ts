/**
 * The learned pipeline end to end on the demo data (planted taste clusters): it must
 * recover the clusters for a brand-new user, beat the baselines on the temporal holdout,
 * and export artifacts that onnxruntime-node validates against the trainer's arithmetic.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { generateDemoData, type DemoData } from "../demo/generate-demo-data.js";
import { DEFAULT_EVENT_WEIGHTS } from "../../models/events.js";
import { DEFAULT_CANDIDATE_LIMITS } from "../../models/candidates.js";
import { buildRankerGraph } from "../../models/onnx/ranker-graph.js";
import { FEATURE_NAMES } from "../../models/feature-spec.js";
import type { Interaction } from "../evaluation/interactions.js";
import { CATALOG_CLOCK_SKEW_MS } from "../../models/catalog-changes.js";
import { CATALOG_SNAPSHOT_MAX_ITEMS, exportVersion } from "./export-artifacts.js";
import { DEFAULT_PIPELINE, fitPipeline, rankForUser, recipeOf, SERVING_REFERENCE_USERS, type PipelineModel } from "./pipeline.js";
import { popularityAt } from "./popularity-snapshot.js";
import { evaluateModelType } from "./train-candidate.js";
import { ArtifactValidationError, validateVersion } from "./validate-artifacts.js";

let demo: DemoData;
let log: Interaction[];
/** The ranker path: iALS candidates, LambdaMART order (no model selection). */
let model: PipelineModel;
/** The default: scorer and ordering chosen on the validation hold-out. */
let selected: PipelineModel;

beforeAll(() => {
  demo = generateDemoData(7, { now: Date.UTC(2026, 10, 1) });
  log = demo.events.map((e) => ({ user_id: e.user_id, item_id: e.item_id, ts: Number(e.ts), weight: DEFAULT_EVENT_WEIGHTS[e.type] }));
  model = fitPipeline(log, demo.items, { ...DEFAULT_PIPELINE, selection: null });
  selected = fitPipeline(log, demo.items, DEFAULT_PIPELINE);
}, 120_000);

function brandNewUserLists(
  m: PipelineModel,
): Array<{ cluster: string; items: readonly string[]; top: Array<{ item_id: string }>; history: Array<{ item_id: string }> }> {
  const now = m.trainedUntil + 60_000;
  const popularity = popularityAt(log, now);
  return Object.entries(demo.clusters).map(([cluster, items]) => {
    const history = items.slice(0, 3).map((item_id, i) => ({ item_id, ts: now - (3 - i) * 60_000, weight: DEFAULT_EVENT_WEIGHTS.view }));
    return { cluster, items, history, top: rankForUser(m, { history, now, context: null, popularity, exclude: new Set() }).slice(0, 10) };
  });
}

describe("fitPipeline on the demo data", () => {
  it("trains a ranker that beat the fallback order on held-out lists", () => {
    const r = model.rankerReport!;
    expect(r.queries).toBeGreaterThan(100);
    expect(r.shipped).toBe(true);
    expect(r.validationNdcg!).toBeGreaterThan(r.fallbackNdcg);
    expect(model.ranker).not.toBeNull();
    // The serving reference: the head (10) of the list replayed for each of 500 sampled users, in up to 10 bins.
    const ref = r.servedScores!;
    expect(ref.lists).toBe(SERVING_REFERENCE_USERS);
    const heads = ref.counts.reduce((a, b) => a + b, 0);
    expect(heads).toBeGreaterThan(5 * ref.lists);
    expect(heads).toBeLessThanOrEqual(10 * ref.lists);
    expect(ref.counts).toHaveLength(ref.edges.length + 1);
    // Ties merge deciles (an ensemble has finitely many outputs).
    expect(ref.edges.length).toBeGreaterThanOrEqual(3);
    expect(r.servedFeatures!.map((f) => f.feature)).toEqual(FEATURE_NAMES);
    for (const f of r.servedFeatures!)
      expect(
        f.counts.reduce((a, b) => a + b, 0),
        f.feature,
      ).toBe(heads);
    expect([...ref.edges].sort((a, b) => a - b)).toEqual(ref.edges);
  });

  it.each([
    ["the ranker path", () => model],
    ["the selected model", () => selected],
  ])("gives a brand-new user who viewed three items of a cluster mostly that cluster (%s)", (_, which) => {
    for (const { cluster, items, history, top } of brandNewUserLists(which())) {
      const inCluster = top.filter((r) => items.includes(r.item_id)).length;
      expect(inCluster, `cluster ${cluster}: ${top.map((r) => r.item_id).join(", ")}`).toBeGreaterThanOrEqual(7);
      expect(top.some((r) => history.some((h) => h.item_id === r.item_id))).toBe(false);
    }
  });
});

describe("model selection on the demo data", () => {
  it("scores every scorer × ordering on the validation hold-out and publishes the best", () => {
    const report = selected.selection!;
    expect(report.users).toBeGreaterThanOrEqual(20);
    expect(report.variants.map((v) => `${v.scorer}/${v.ordering}`)).toEqual([
      "ials/formula",
      "ials/retrieval",
      "ials/ranker",
      "ease/formula",
      "ease/retrieval",
      "ease/ranker",
    ]);
    const { grid, keeps } = DEFAULT_PIPELINE.ease!;
    expect(report.easeGrid.map(({ lambda, dropout, keep }) => ({ lambda, dropout, keep }))).toEqual(grid.flatMap((g) => keeps.map((keep) => ({ ...g, keep }))));
    const best = Math.max(...report.variants.map((v) => v.ndcg));
    const chosen = report.variants.find((v) => v.scorer === report.chosen.scorer && v.ordering === report.chosen.ordering)!;
    expect(chosen.ndcg).toBe(best);
    expect(selected.scorer).toBe(report.chosen.scorer);
    expect(selected.ordering).toBe(report.chosen.ordering);
    if (selected.scorer === "ease") {
      const best = report.easeGrid.reduce((a, b) => (b.ndcg > a.ndcg ? b : a));
      expect({ lambda: selected.ease!.lambda, dropout: selected.ease!.dropout, keep: selected.ease!.table.keep }).toEqual({
        lambda: best.lambda,
        dropout: best.dropout,
        keep: best.keep,
      });
    }
    expect(selected.ranker === null).toBe(selected.ordering !== "ranker");
  });

  it("tunes iALS on the hold-out and serves the best setting, which its recipe replays", () => {
    const ialsGrid = [
      { factors: 8, regularization: 50, exponent: 0, alpha: 1 },
      { factors: 16, regularization: 0.01, exponent: 1, alpha: 3 },
      { factors: 32, regularization: 5, exponent: 0, alpha: 1 },
    ];
    const params = { ...DEFAULT_PIPELINE, ease: null, ranker: null, ialsGrid };
    const tuned = fitPipeline(log, demo.items, params);
    const scores = tuned.selection!.ialsGrid;
    // The untuned fit (no ranker split here: the default f = 64, λ = 5) is scored first.
    expect(scores.map(({ ndcg: _, ...s }) => s)).toEqual([{ factors: 64, regularization: 5, exponent: 0, alpha: 1 }, ...ialsGrid]);
    // The settings differ enough to score differently, so the choice means something.
    expect(new Set(scores.map((s) => s.ndcg.toFixed(4))).size).toBeGreaterThan(1);
    const best = scores.reduce((a, b) => (b.ndcg > a.ndcg ? b : a));
    const ials = tuned.params.retrieval.ials;
    expect({ factors: ials.factors, regularization: ials.regularization, exponent: ials.regularizationExponent, alpha: ials.alpha }).toEqual({
      factors: best.factors,
      regularization: best.regularization,
      exponent: best.exponent,
      alpha: best.alpha,
    });
    expect(tuned.retrieval.itemFactors.length).toBe(tuned.retrieval.itemIds.length * best.factors);
    const recipe = recipeOf(tuned);
    const replayed = fitPipeline(log, demo.items, { ...params, recipe });
    expect(replayed.params.retrieval.ials).toEqual(ials);
    expect(replayed.retrieval.itemFactors).toEqual(tuned.retrieval.itemFactors);
  }, 60_000);

  it("keeps to iALS when EASE is off or the catalog is above its limit", () => {
    const noEase = fitPipeline(log, demo.items, { ...DEFAULT_PIPELINE, ease: null, ranker: null });
    expect(noEase.scorer).toBe("ials");
    expect(noEase.selection!.variants.every((v) => v.scorer === "ials" && v.ordering !== "ranker")).toBe(true);
    const tooBig = fitPipeline(log, demo.items, { ...DEFAULT_PIPELINE, ease: { ...DEFAULT_PIPELINE.ease!, maxItems: 10 }, ranker: null });
    expect(tooBig.selection!.easeGrid).toEqual([]);
    expect(tooBig.ease).toBeNull();
  }, 60_000);
});

describe("evaluateModelType on the demo data", () => {
  it("beats popularity and item-kNN on NDCG@10 and Recall@20 for warm users", () => {
    const report = evaluateModelType(log, demo.items, DEFAULT_PIPELINE);
    const metric = (rows: typeof report.candidate, model: string, k: number) => rows.find((r) => r.model === model && r.group === "warm" && r.k === k)!;
    const pipe10 = metric(report.candidate, "pipeline", 10);
    const pipe20 = metric(report.candidate, "pipeline", 20);
    for (const baseline of ["popularity", "item-kNN (N=50, popularity fill)"]) {
      expect(pipe10.ndcg, `NDCG@10 vs ${baseline}`).toBeGreaterThan(metric(report.baselines, baseline, 10).ndcg);
      expect(pipe20.recall, `Recall@20 vs ${baseline}`).toBeGreaterThan(metric(report.baselines, baseline, 20).recall);
    }
  }, 60_000);
});

describe("exportVersion + validateVersion", () => {
  it("exports files that onnxruntime-node runs like the trainer", async () => {
    const exported = await exportVersion(model, { version: "test-1" });
    expect(exported.manifest.retrieval.path).toBe("in_process");
    expect(exported.files.map((f) => f.role).sort()).toEqual(["items", "neighbours", "ranker", "retrieval"]);
    const report = await validateVersion(model, exported);
    expect(report.retrievalRelativeError!).toBeLessThan(1e-3);
    expect(report.rankerMaxError!).toBeLessThanOrEqual(1e-5);
  });

  it("records the candidate limits the ranker's lists were built with, and retrieves as many as they take", async () => {
    const standard = await exportVersion(model, { version: "test-limits-0" });
    expect(standard.manifest.candidates).toEqual(DEFAULT_CANDIDATE_LIMITS);
    expect(standard.manifest.retrieval.top_k).toBe(Math.min(100, model.retrieval.itemIds.length));
    const wide = { ...DEFAULT_CANDIDATE_LIMITS, retrieval: 150, popular: 5 };
    const exported = await exportVersion({ ...model, params: { ...model.params, candidates: wide } }, { version: "test-limits" });
    expect(exported.manifest.candidates).toEqual(wide);
    expect(exported.manifest.retrieval.top_k).toBe(Math.min(150, model.retrieval.itemIds.length));
  });

  it("exports frequency-scaled iALS with its ν, and the graph folds in as the trainer does", async () => {
    const ials = { ...DEFAULT_PIPELINE.retrieval.ials, factors: 16, regularization: 0.01, regularizationExponent: 1, alpha: 5 };
    const scaled = fitPipeline(log, demo.items, { ...DEFAULT_PIPELINE, selection: null, ranker: null, retrieval: { ...DEFAULT_PIPELINE.retrieval, ials } });
    const exported = await exportVersion(scaled, { version: "test-nu" });
    expect(exported.manifest.retrieval.regularization_exponent).toBe(1);
    const report = await validateVersion(scaled, exported);
    expect(report.retrievalRelativeError!).toBeLessThan(1e-3);
    // The constant-λ graph for the same factors is refused: the user's λ matters.
    const constant = { ...scaled.retrieval.params, ials: { ...ials, regularizationExponent: 0 } };
    const plain = await exportVersion({ ...scaled, retrieval: { ...scaled.retrieval, params: constant } }, { version: "test-nu-0" });
    expect(plain.manifest.retrieval.regularization_exponent).toBeUndefined();
    await expect(validateVersion(scaled, plain)).rejects.toThrow(ArtifactValidationError);
  });

  it("refuses a ranker graph that does not compute the trained trees", async () => {
    const exported = await exportVersion(model, { version: "test-2" });
    const tampered = structuredClone(model.ranker!);
    const leaf = tampered.trees[0]!.nodes.find((n) => "value" in n) as { value: number };
    leaf.value += 0.5;
    const ranker = exported.files.find((f) => f.role === "ranker")!;
    ranker.bytes = buildRankerGraph(tampered);
    await expect(validateVersion(model, exported)).rejects.toThrow(ArtifactValidationError);
  });

  it("exports an EASE version with its item-weights table and the chosen ordering", async () => {
    const ease =
      selected.scorer === "ease"
        ? selected
        : fitPipeline(log, demo.items, { ...DEFAULT_PIPELINE, ease: { ...DEFAULT_PIPELINE.ease!, grid: [{ lambda: 100, dropout: 0 }], keeps: [100] } });
    const exported = await exportVersion(ease, { version: "test-ease" });
    // The lists the edge serves while Redis has no live counts: the training data's, at its end.
    const items = JSON.parse(new TextDecoder().decode(exported.files.find((f) => f.role === "items")!.bytes));
    const at = log.reduce((m, e) => Math.max(m, e.ts), -Infinity) + 1;
    expect(items.popular).toEqual(popularityAt(log, at).popular);
    expect(items.trending).toEqual(popularityAt(log, at).trending);
    expect(items.popular.length).toBe(Math.min(100, new Set(log.filter((e) => e.weight > 0).map((e) => e.item_id)).size));
    expect(exported.manifest.scorer).toEqual({
      kind: ease.scorer,
      ...(ease.scorer === "ease" ? { lambda: ease.ease!.lambda, dropout: ease.ease!.dropout, keep: ease.ease!.table.keep } : {}),
    });
    expect(exported.manifest.ordering).toBe(ease.ordering);
    if (ease.scorer === "ease") {
      const file = exported.files.find((f) => f.role === "item_weights")!;
      expect(file.name).toBe("item-weights.bin");
      expect(file.bytes.byteLength).toBe(12 + 8 * exported.manifest.catalog_size * ease.ease!.table.keep);
      await expect(validateVersion(ease, exported)).resolves.toBeDefined();
    }
  });

  it("ships the catalog as read, sorted, with its time set back by the clock allowance, and validates it", async () => {
    const readAt = Date.UTC(2026, 10, 2);
    const items = [
      { item_id: "z-1", title: "Zed", category: "tools", price: 4.5, available: false },
      { item_id: "a-1", title: "Awl" },
    ];
    const exported = await exportVersion(model, { version: "test-catalog", catalog: { items, readAt } });
    const file = exported.files.find((f) => f.role === "catalog")!;
    expect(file.name).toBe("catalog.json");
    expect(exported.manifest.files.find((f) => f.role === "catalog")?.sha256).toBe(file.sha256);
    expect(JSON.parse(new TextDecoder().decode(file.bytes))).toEqual({
      taken_at: readAt - CATALOG_CLOCK_SKEW_MS,
      items: [
        ["a-1", "Awl", null, null, true],
        ["z-1", "Zed", "tools", 4.5, false],
      ],
    });
    await expect(validateVersion(model, exported)).resolves.toBeDefined();
    // Above the limit the edge reads every record live: no file.
    const many = Array.from({ length: CATALOG_SNAPSHOT_MAX_ITEMS + 1 }, (_, i) => ({ item_id: `i${i}`, title: "t" }));
    const big = await exportVersion(model, { version: "test-catalog-big", catalog: { items: many, readAt } });
    expect(big.files.some((f) => f.role === "catalog")).toBe(false);
  });

  it("chooses the vector-store path above the in-process memory budget", async () => {
    const exported = await exportVersion(model, { version: "test-3", inProcessMaxBytes: 1024 });
    expect(exported.manifest.retrieval.path).toBe("vector_store");
    expect(exported.files.some((f) => f.role === "fold_in")).toBe(true);
    expect(exported.vectors!.ids.length).toBe(exported.manifest.catalog_size);
  });
});
