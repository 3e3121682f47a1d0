/**
 * Unit tests for the in-memory index: Upstash's score formulas checked by hand, exact
 * top-K checked against a brute-force sort on seeded random vectors, and the id, prefix,
 * filter, cursor and namespace operations. No I/O.
 */
import { mulberry32 } from "../../models/prng.js";
import { describe, expect, it } from "vitest";
import { parseFilter, type FilterNode } from "./filter.js";
import { mergePatch, TopKHeap, VectorStore, type Include, type SimilarityFunction } from "./store.js";

const NONE: Include = { includeVectors: false, includeMetadata: false, includeData: false };
const ALL: Include = { includeVectors: true, includeMetadata: true, includeData: true };

/** Seeded, so failures reproduce. */
const random = mulberry32;

function filter(text: string): FilterNode | undefined {
  const parsed = parseFilter(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.filter;
}

function value<T>(outcome: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.value;
}

function scoresFor(similarity: SimilarityFunction, stored: number[], query: number[]): number {
  const store = new VectorStore({ similarity });
  value(store.upsert("", [{ id: "v", vector: stored }]));
  return value(store.query("", query, 1, undefined, NONE))[0]?.score ?? Number.NaN;
}

describe("scores (Upstash's normalisation)", () => {
  it("COSINE is (1 + cos) / 2", () => {
    expect(scoresFor("COSINE", [1, 0], [1, 0])).toBeCloseTo(1, 12);
    expect(scoresFor("COSINE", [1, 0], [0, 1])).toBeCloseTo(0.5, 12);
    expect(scoresFor("COSINE", [1, 0], [-2, 0])).toBeCloseTo(0, 12);
    // cos = (3*4 + 4*3) / (5 * 5) = 0.96 → 0.98; magnitude does not matter.
    expect(scoresFor("COSINE", [3, 4], [40, 30])).toBeCloseTo(0.98, 6);
  });

  it("COSINE against a zero vector is neutral rather than NaN", () => {
    expect(scoresFor("COSINE", [0, 0], [1, 0])).toBe(0.5);
  });

  it("EUCLIDEAN is 1 / (1 + squared distance)", () => {
    expect(scoresFor("EUCLIDEAN", [1, 2], [1, 2])).toBe(1);
    // squared distance (1-4)^2 + (2-6)^2 = 25 → 1/26
    expect(scoresFor("EUCLIDEAN", [1, 2], [4, 6])).toBeCloseTo(1 / 26, 12);
    expect(scoresFor("EUCLIDEAN", [0, 0, 0], [1, 1, 1])).toBeCloseTo(0.25, 12);
  });

  it("DOT_PRODUCT is (1 + dot) / 2", () => {
    expect(scoresFor("DOT_PRODUCT", [1, 0], [1, 0])).toBe(1);
    expect(scoresFor("DOT_PRODUCT", [0.6, 0.8], [0.8, 0.6])).toBeCloseTo((1 + 0.96) / 2, 6);
    expect(scoresFor("DOT_PRODUCT", [1, 0], [-1, 0])).toBe(0);
  });
});

describe("exact top-K", () => {
  const reference = (similarity: SimilarityFunction, vectors: Float32Array[], query: Float32Array): { index: number; score: number }[] => {
    const score = (v: Float32Array) => {
      let dot = 0,
        nv = 0,
        nq = 0,
        dist = 0;
      v.forEach((x, i) => {
        const q = query[i] as number;
        dot += x * q;
        nv += x * x;
        nq += q * q;
        dist += (x - q) ** 2;
      });
      if (similarity === "EUCLIDEAN") return 1 / (1 + dist);
      if (similarity === "DOT_PRODUCT") return (1 + dot) / 2;
      return (1 + dot / Math.sqrt(nv * nq)) / 2;
    };
    return vectors.map((v, index) => ({ index, score: score(v) })).sort((a, b) => b.score - a.score);
  };

  for (const similarity of ["COSINE", "EUCLIDEAN", "DOT_PRODUCT"] as const) {
    it(`matches a brute-force sort for ${similarity} (2,000 random vectors, dimension 16, seed 42)`, () => {
      const next = random(42);
      const dim = 16;
      // Float32-rounded up front, so reference and store score the very same numbers.
      const vectors = Array.from({ length: 2000 }, () => Float32Array.from({ length: dim }, () => next() * 2 - 1));
      const store = new VectorStore({ similarity });
      value(
        store.upsert(
          "",
          vectors.map((v, i) => ({ id: `v${i}`, vector: Array.from(v) })),
        ),
      );
      for (let q = 0; q < 20; q += 1) {
        const query = Float32Array.from({ length: dim }, () => next() * 2 - 1);
        const topK = 1 + Math.floor(next() * 50);
        const got = value(store.query("", Array.from(query), topK, undefined, NONE));
        const want = reference(similarity, vectors, query).slice(0, topK);
        expect(got.map((r) => r.id)).toEqual(want.map((r) => `v${r.index}`));
        got.forEach((r, i) => expect(r.score).toBeCloseTo(want[i]?.score ?? Number.NaN, 9));
      }
    });
  }

  it("stays exact after deletes move vectors between slots", () => {
    const next = random(7);
    const vectors = Array.from({ length: 300 }, () => Float32Array.from({ length: 8 }, () => next()));
    const store = new VectorStore();
    value(
      store.upsert(
        "",
        vectors.map((v, i) => ({ id: `v${i}`, vector: Array.from(v) })),
      ),
    );
    const removed = new Set(Array.from({ length: 100 }, (_, i) => `v${i * 3}`));
    expect(store.delete("", [...removed])).toBe(100);
    const query = Array.from({ length: 8 }, () => next());
    const got = value(store.query("", query, 300, undefined, NONE));
    expect(got).toHaveLength(200);
    expect(got.some((r) => removed.has(r.id))).toBe(false);
    const survivors = store.fetch(
      "",
      got.map((r) => r.id),
      ALL,
    );
    survivors.forEach((s, i) => expect(s?.vector).toEqual(Array.from(vectors[Number(got[i]?.id.slice(1))] ?? [])));
    for (let i = 1; i < got.length; i += 1) expect(got[i - 1]!.score!).toBeGreaterThanOrEqual(got[i]!.score!);
  });

  it("applies the filter before cutting to topK", () => {
    const store = new VectorStore();
    value(
      store.upsert(
        "",
        Array.from({ length: 50 }, (_, i) => ({ id: `v${i}`, vector: [1, i / 50], metadata: { even: i % 2 === 0, i } })),
      ),
    );
    const got = value(store.query("", [1, 0], 5, filter("even = false AND i > 10"), { ...NONE, includeMetadata: true }));
    expect(got.map((r) => r.id)).toEqual(["v11", "v13", "v15", "v17", "v19"]);
  });

  it("TopKHeap keeps the k largest and sorts them descending", () => {
    const heap = new TopKHeap(3);
    [5, 1, 9, 3, 7, 9, 2].forEach((score, slot) => heap.offer(score, slot));
    const { slots, scores } = heap.sortedDescending();
    expect(Array.from(scores)).toEqual([9, 9, 7]);
    expect(Array.from(slots)).toEqual([2, 5, 4]);
  });
});

describe("VectorStore operations", () => {
  it("fixes the dimension on the first upsert and refuses a whole batch with a wrong one", () => {
    const store = new VectorStore();
    expect(store.dimension).toBeUndefined();
    value(store.upsert("", [{ id: "a", vector: [1, 2, 3] }]));
    expect(store.dimension).toBe(3);
    const refused = store.upsert("", [
      { id: "b", vector: [1, 2, 3] },
      { id: "c", vector: [1, 2] },
    ]);
    expect(refused).toEqual({ ok: false, error: "Invalid vector dimension: 2, expected: 3" });
    expect(store.fetch("", ["b"], NONE)).toEqual([null]);
    expect(store.query("", [1], 1, undefined, NONE).ok).toBe(false);
  });

  it("keeps a configured dimension through reset all, forgets a learnt one", () => {
    const fixed = new VectorStore({ dimension: 2 });
    expect(fixed.upsert("", [{ id: "a", vector: [1, 2, 3] }]).ok).toBe(false);
    fixed.resetAll();
    expect(fixed.dimension).toBe(2);
    const learnt = new VectorStore();
    value(learnt.upsert("", [{ id: "a", vector: [1, 2, 3] }]));
    learnt.resetAll();
    expect(learnt.dimension).toBeUndefined();
    value(learnt.upsert("", [{ id: "a", vector: [1] }]));
  });

  it("upsert replaces vector, metadata and data", () => {
    const store = new VectorStore();
    value(store.upsert("", [{ id: "a", vector: [1, 0], metadata: { x: 1 }, data: "text" }]));
    value(store.upsert("", [{ id: "a", vector: [0, 1] }]));
    expect(store.fetch("", ["a"], ALL)).toEqual([{ id: "a", vector: [0, 1] }]);
  });

  it("updates with OVERWRITE and PATCH (JSON merge patch)", () => {
    const store = new VectorStore();
    value(store.upsert("", [{ id: "a", vector: [1, 0], metadata: { keep: 1, drop: 2, nested: { a: 1 } } }]));
    expect(value(store.update("", { id: "a", metadata: { drop: null, nested: { b: 2 } }, metadataUpdateMode: "PATCH" }))).toBe(1);
    expect(store.fetch("", ["a"], ALL)[0]?.metadata).toEqual({ keep: 1, nested: { a: 1, b: 2 } });
    expect(value(store.update("", { id: "a", metadata: { only: true }, metadataUpdateMode: "OVERWRITE" }))).toBe(1);
    expect(store.fetch("", ["a"], ALL)[0]?.metadata).toEqual({ only: true });
    expect(value(store.update("", { id: "missing", metadata: {}, metadataUpdateMode: "PATCH" }))).toBe(0);
    expect(store.update("", { id: "a", vector: [1], metadataUpdateMode: "OVERWRITE" }).ok).toBe(false);
  });

  it("mergePatch keeps a __proto__ key as data", () => {
    const merged = mergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(merged, "__proto__")).toBe(true);
  });

  it("ranges in insertion order with stable cursors across deletes", () => {
    const store = new VectorStore();
    value(
      store.upsert(
        "",
        Array.from({ length: 7 }, (_, i) => ({ id: `id-${i}`, vector: [i, 1] })),
      ),
    );
    const first = store.range("", 0, 3, undefined, NONE);
    expect(first.vectors.map((v) => v.id)).toEqual(["id-0", "id-1", "id-2"]);
    store.delete("", ["id-3", "id-0"]);
    const second = store.range("", Number(first.nextCursor), 3, undefined, NONE);
    expect(second.vectors.map((v) => v.id)).toEqual(["id-4", "id-5", "id-6"]);
    expect(second.nextCursor).toBe("");
    expect(store.range("", 0, 10, "id-5", NONE).vectors.map((v) => v.id)).toEqual(["id-5"]);
  });

  it("deletes by id, prefix and filter, and fetches by prefix", () => {
    const store = new VectorStore();
    value(
      store.upsert(
        "",
        ["a1", "a2", "b1", "b2"].map((id, i) => ({ id, vector: [1, i], metadata: { i } })),
      ),
    );
    expect(store.fetchByPrefix("", "a", NONE).map((v) => v.id)).toEqual(["a1", "a2"]);
    expect(store.deleteWhere("", { prefix: "a" })).toBe(2);
    expect(store.deleteWhere("", { filter: filter("i = 3") })).toBe(1);
    expect(store.delete("", ["b1", "b1", "nope"])).toBe(1);
    expect(store.info().vectorCount).toBe(0);
  });

  it("keeps namespaces apart and reports them in info", () => {
    const store = new VectorStore({ similarity: "EUCLIDEAN" });
    value(store.upsert("", [{ id: "a", vector: [1, 2] }]));
    value(
      store.upsert("ns", [
        { id: "a", vector: [3, 4] },
        { id: "b", vector: [5, 6] },
      ]),
    );
    expect(store.fetch("ns", ["a"], ALL)[0]?.vector).toEqual([3, 4]);
    expect(store.listNamespaces()).toEqual(["", "ns"]);
    expect(store.info()).toMatchObject({
      vectorCount: 3,
      dimension: 2,
      similarityFunction: "EUCLIDEAN",
      namespaces: { "": { vectorCount: 1, pendingVectorCount: 0 }, ns: { vectorCount: 2, pendingVectorCount: 0 } },
    });
    store.reset("ns");
    expect(store.listNamespaces()).toEqual(["", "ns"]);
    expect(value(store.deleteNamespace("ns"))).toBe("Success");
    expect(store.deleteNamespace("ns").ok).toBe(false);
    expect(store.deleteNamespace("").ok).toBe(false);
    expect(store.query("missing", [1, 2], 5, undefined, NONE)).toEqual({ ok: true, value: [] });
  });
});
