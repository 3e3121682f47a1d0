/**
 * Catalog records from the version's artifact (catalog.json), in workerd: two versions of
 * one fitted pipeline, one shipping the catalog snapshot, must serve identical lists, the
 * snapshot's without a round trip for records however cold the isolate; a record changed
 * after the snapshot, written as the backend writes it (models/catalog-changes.ts), is
 * read live and reaches the list.
 *
 * A third export has the retrieval graph of versions trained before item_scores (every
 * item's score copied out of the runtime, gathered in JS): it must serve the same lists as
 * the graph that gathers the other candidates' scores itself.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
// First: the app registers zod's OpenAPI extension before any shared schema is built.
import { api, seedKeys, uniq } from "../test-support/fixtures.js";
import { clusteredLog } from "../../backend/evaluation/synthetic.js";
import { exportVersion } from "../../backend/training/export-artifacts.js";
import { DEFAULT_PIPELINE, fitPipeline } from "../../backend/training/pipeline.js";
import { CATALOG_CLOCK_SKEW_MS, RECORD_WRITE_SCRIPT, recordWrite } from "../../models/catalog-changes.js";
import { toEdgeItemRecord, type CatalogItem } from "../../models/catalog.js";
import { keys } from "../../models/feature-keys.js";
import { sha256OfBytes } from "../../models/hash.js";
import { buildFoldInRetrievalGraph } from "../../models/onnx/retrieval-graph.js";
import { resetFeatureCaches } from "../features/feature-reader.js";
import { redisClient } from "../features/redis-client.js";
import { resetActiveModelForTests } from "../models/active-model.js";
import { adminApi, publishVersion } from "../test-support/model-artifacts.js";

interface Recs {
  model_version: string;
  items: Array<{ item_id: string; title?: string; score: number; reason: string }>;
  degraded: string[];
}

const DAY = 86_400_000;
const plain = uniq("plain");
const withCatalog = uniq("snap");
const allScores = uniq("all-scores");
const users = [uniq("u"), uniq("u"), uniq("u")];
let catalog: CatalogItem[];

async function writeAsBackend(items: readonly CatalogItem[]): Promise<void> {
  const w = recordWrite(
    items.map((i) => [i.item_id, JSON.stringify(toEdgeItemRecord(i))] as const),
    Date.now(),
  );
  await redisClient(env, 5_000).eval(RECORD_WRITE_SCRIPT, w.keys, w.args);
}

async function activate(version: string): Promise<void> {
  const res = await adminApi("/v1/admin/models/active", { method: "PUT", json: { version } });
  expect(res.status, await res.clone().text()).toBe(200);
  await resetActiveModelForTests();
}

/** A call of nothing but MGETs of item records: the catalog stage's live read (the consumer's reads ride with its writes). */
function isRecordRead(init: RequestInit | undefined): boolean {
  if (typeof init?.body !== "string") return false;
  const commands = JSON.parse(init.body) as unknown;
  const isRead = (c: unknown) => Array.isArray(c) && c[0] === "mget" && String(c[1]).startsWith("recs:item:");
  return Array.isArray(commands) && (Array.isArray(commands[0]) ? commands.every(isRead) : isRead(commands));
}

/** Every user's list with a cold isolate (no cached records or popularity), and how many live record reads it made. */
async function lists(version: string): Promise<Array<{ body: Recs; recordReads: number }>> {
  await activate(version);
  // The model's own load happens before, not inside, the lists measured.
  expect((await api(`/v1/recommendations/${uniq("warm")}?limit=1`)).status).toBe(200);
  const out: Array<{ body: Recs; recordReads: number }> = [];
  for (const user of users) {
    resetFeatureCaches();
    const fetches = vi.spyOn(globalThis, "fetch");
    // Long lists, so the order of tail candidates (whose retrieval scores only the gather gives) shows.
    const res = await api(`/v1/recommendations/${user}?limit=40`);
    const recordReads = fetches.mock.calls.filter(([input, init]) => String(input).startsWith(env.UPSTASH_REDIS_REST_URL) && isRecordRead(init)).length;
    fetches.mockRestore();
    expect(res.status).toBe(200);
    out.push({ body: await res.json<Recs>(), recordReads });
  }
  return out;
}

const itemsOf = (ls: Array<{ body: Recs }>) => ls.map((l) => l.body.items);

beforeAll(async () => {
  await seedKeys();
  await resetActiveModelForTests();
  const start = Date.now() - 14 * DAY;
  // 120 items: more than retrieval's top 100, so some candidates of other sources take
  // their retrieval scores from the graph's gather alone.
  const log = clusteredLog({ seed: 11, clusters: 3, itemsPerCluster: 40, users: 150, eventsPerUser: 12 }).map((e) => ({ ...e, ts: start + e.ts * 60_000 }));
  catalog = [...new Set(log.map((e) => e.item_id))].map((id) => ({ item_id: id, title: `Item ${id}`, category: id.split("-")[0]!, price: 10 }));
  await writeAsBackend(catalog);
  const model = fitPipeline(log, catalog, { ...DEFAULT_PIPELINE, selection: null, factorGrid: [8], rankerQueries: 150 });
  for (const [version, options] of [
    [plain, {}],
    // Read after the records were written, by more than the allowance for clocks.
    [withCatalog, { catalog: { items: catalog, readAt: Date.now() + CATALOG_CLOCK_SKEW_MS + 1 } }],
  ] as const) {
    const exported = await exportVersion(model, { version, ...options });
    expect(exported.files.some((f) => f.role === "catalog")).toBe(version === withCatalog);
    await publishVersion({ version, manifest: exported.manifest, files: exported.files });
  }
  const legacy = await exportVersion(model, { version: allScores });
  // As the exporter builds it (export-artifacts.ts), but in the older layout.
  const { factors, alpha, regularization, regularizationExponent } = model.retrieval.params.ials;
  const bytes = buildFoldInRetrievalGraph(model.retrieval.itemFactors, {
    factors,
    alpha,
    regularization,
    regularizationExponent: regularizationExponent ?? 0,
    k: legacy.manifest.retrieval.top_k,
    allScoresOutput: true,
  });
  const sha256 = await sha256OfBytes(bytes);
  await publishVersion({
    version: allScores,
    manifest: { ...legacy.manifest, files: legacy.manifest.files.map((f) => (f.role === "retrieval" ? { ...f, sha256, bytes: bytes.byteLength } : f)) },
    files: legacy.files.map((f) => (f.role === "retrieval" ? { ...f, bytes, sha256 } : f)),
  });
  for (const [k, user] of users.entries()) {
    for (const item of [`c${k}-i0`, `c${k}-i1`, `c${k}-i2`]) {
      const res = await api("/v1/events", { method: "POST", json: { events: [{ user_id: user, item_id: item, type: "view" }] } });
      expect(res.status).toBe(202);
    }
  }
}, 120_000);

describe("catalog records from the version's snapshot", () => {
  it("serves the same lists as live records, without a round trip for them on a cold isolate", async () => {
    // The queue consumer writes the views' co-counts and popularity in the background:
    // compare once two live runs around the snapshot's agree, i.e. on a settled world.
    for (let attempt = 0; ; attempt++) {
      const live = await lists(plain);
      const fromSnapshot = await lists(withCatalog);
      const gatheredInJs = await lists(allScores);
      const again = await lists(plain);
      if (JSON.stringify(itemsOf(again)) !== JSON.stringify(itemsOf(live))) {
        expect(attempt, "the world never settled").toBeLessThan(20);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      for (const [i, l] of live.entries()) {
        expect(l.body.model_version).toBe(plain);
        expect(fromSnapshot[i]!.body.model_version).toBe(withCatalog);
        expect(fromSnapshot[i]!.body.degraded).toEqual([]);
        expect(l.body.items.length).toBeGreaterThan(3);
        expect(fromSnapshot[i]!.body.items).toEqual(l.body.items);
        expect(l.recordReads).toBe(1);
        expect(fromSnapshot[i]!.recordReads).toBe(0);
        expect(gatheredInJs[i]!.body.model_version).toBe(allScores);
        expect(gatheredInJs[i]!.body.items).toEqual(l.body.items);
      }
      return;
    }
  });

  it("reads a record live once it changed after the snapshot, and only then", async () => {
    const [before] = await lists(withCatalog);
    const top = before!.body.items[0]!;
    // A write that skips the change set (no backend does this) is not seen: the snapshot answers.
    await redisClient(env, 5_000).set(keys.item(top.item_id), JSON.stringify({ title: "Not from the snapshot", available: true }));
    const [unseen] = await lists(withCatalog);
    // By identity and record only: the background consumer may still move scores and
    // popularity sources between two reads, which is not what this test is about.
    expect(unseen!.body.items.find((i) => i.item_id === top.item_id)?.title).toBe(top.title);
    expect(unseen!.recordReads).toBe(0);
    // The backend's write is: the item goes unavailable and leaves the list.
    const item = catalog.find((c) => c.item_id === top.item_id)!;
    await writeAsBackend([{ ...item, available: false }]);
    const [after] = await lists(withCatalog);
    expect(after!.body.items.map((i) => i.item_id)).not.toContain(top.item_id);
    expect(after!.body.items.length).toBeGreaterThan(3);
    expect(after!.recordReads).toBe(1);
    await writeAsBackend([item]);
  });
});
