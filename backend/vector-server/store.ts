/**
 * The in-memory index behind the local Upstash Vector stand-in: namespaces of dense
 * vectors with metadata, exact (brute-force) top-K search scored the way Upstash scores,
 * and the id, prefix, filter and cursor operations of its REST API. Pure: no I/O, so
 * scores and ordering are unit-tested against a brute-force reference.
 *
 * Layout: each namespace keeps its vectors in one Float32Array slab (slot i at
 * i * dimension), so a query is a tight loop over contiguous memory; deletes move the
 * last slot into the hole so the slab stays dense. Float32 is what Upstash stores too,
 * so vectors read back are float32-rounded there as well.
 */
import { matchesFilter, type FilterNode } from "./filter.js";

export type SimilarityFunction = "COSINE" | "EUCLIDEAN" | "DOT_PRODUCT";
export const SIMILARITY_FUNCTIONS: readonly SimilarityFunction[] = ["COSINE", "EUCLIDEAN", "DOT_PRODUCT"];
export type Metadata = Record<string, unknown>;

/** A vector as a client sends it (already validated by protocol.ts). */
export interface NewVector {
  readonly id: string;
  readonly vector: readonly number[];
  readonly metadata?: Metadata;
  readonly data?: string;
}

export interface VectorPatch {
  readonly id: string;
  readonly vector?: readonly number[];
  readonly metadata?: Metadata;
  readonly data?: string;
  /** OVERWRITE replaces the metadata; PATCH applies it as a JSON merge patch (RFC 7396). */
  readonly metadataUpdateMode: "OVERWRITE" | "PATCH";
}

export interface Include {
  readonly includeVectors: boolean;
  readonly includeMetadata: boolean;
  readonly includeData: boolean;
}

/** A vector as it goes back to a client: only the parts that were asked for. */
export interface VectorView {
  id: string;
  score?: number;
  vector?: number[];
  metadata?: Metadata;
  data?: string;
}

export interface RangePage {
  nextCursor: string;
  vectors: VectorView[];
}

export interface NamespaceInfo {
  vectorCount: number;
  pendingVectorCount: number;
}

export interface IndexInfo {
  vectorCount: number;
  pendingVectorCount: number;
  indexSize: number;
  dimension: number;
  similarityFunction: SimilarityFunction;
  indexType: "DENSE";
  denseIndex: { dimension: number; similarityFunction: SimilarityFunction };
  namespaces: Record<string, NamespaceInfo>;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface VectorStoreOptions {
  /** Fixed up front; otherwise the first upsert sets it. */
  readonly dimension?: number;
  readonly similarity?: SimilarityFunction;
}

export const DEFAULT_NAMESPACE = "";
const INITIAL_CAPACITY = 64;

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const fail = <T>(error: string): Outcome<T> => ({ ok: false, error });

interface Entry {
  slot: number;
  /** Insertion order; range cursors count in it, so deletes do not shift later pages. */
  readonly seq: number;
}

/** One namespace: the slab, per-slot norms and payloads, and the id index. */
class Namespace {
  private slab: Float32Array;
  // Float64 so cosine scores do not lose the precision the dot product kept.
  private norms: Float64Array;
  private ids: string[] = [];
  private metadata: (Metadata | undefined)[] = [];
  private data: (string | undefined)[] = [];
  private readonly entries = new Map<string, Entry>();
  private nextSeq = 0;

  constructor(readonly dimension: number) {
    this.slab = new Float32Array(INITIAL_CAPACITY * dimension);
    this.norms = new Float64Array(INITIAL_CAPACITY);
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  put(record: NewVector): void {
    const existing = this.entries.get(record.id);
    const slot = existing?.slot ?? this.allocate(record.id);
    this.writeVector(slot, record.vector);
    this.metadata[slot] = record.metadata;
    this.data[slot] = record.data;
  }

  patch(update: VectorPatch): boolean {
    const entry = this.entries.get(update.id);
    if (!entry) return false;
    if (update.vector) this.writeVector(entry.slot, update.vector);
    if (update.data !== undefined) this.data[entry.slot] = update.data;
    if (update.metadata !== undefined) {
      const current = this.metadata[entry.slot];
      this.metadata[entry.slot] = update.metadataUpdateMode === "PATCH" ? mergePatch(current, update.metadata) : update.metadata;
    }
    return true;
  }

  remove(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    const last = this.size - 1;
    if (entry.slot !== last) this.moveSlot(last, entry.slot);
    this.ids.pop();
    this.metadata.pop();
    this.data.pop();
    return true;
  }

  view(id: string, include: Include): VectorView | undefined {
    const entry = this.entries.get(id);
    return entry ? this.viewSlot(entry.slot, include) : undefined;
  }

  viewSlot(slot: number, include: Include, score?: number): VectorView {
    const view: VectorView = { id: this.ids[slot] ?? "" };
    if (score !== undefined) view.score = score;
    if (include.includeVectors) view.vector = Array.from(this.slab.subarray(slot * this.dimension, (slot + 1) * this.dimension));
    const metadata = this.metadata[slot];
    if (include.includeMetadata && metadata !== undefined) view.metadata = metadata;
    const data = this.data[slot];
    if (include.includeData && data !== undefined) view.data = data;
    return view;
  }

  matches(slot: number, filter: FilterNode | undefined): boolean {
    return filter === undefined || matchesFilter(filter, this.metadata[slot]);
  }

  /** Ids in insertion order, with their cursor positions. */
  *inOrder(fromSeq = 0): Generator<{ id: string; slot: number; seq: number }> {
    for (const [id, entry] of this.entries) {
      if (entry.seq >= fromSeq) yield { id, slot: entry.slot, seq: entry.seq };
    }
  }

  topK(query: Float32Array, k: number, similarity: SimilarityFunction, filter: FilterNode | undefined): { slots: Int32Array; scores: Float64Array } {
    const heap = new TopKHeap(Math.min(k, this.size));
    const scores = new Float64Array(this.size);
    scoreAll(similarity, this.slab, this.norms, query, this.size, scores);
    for (let slot = 0; slot < this.size; slot += 1) {
      const s = scores[slot] as number;
      // The filter is the slow part, so it is checked only for vectors that would make the cut.
      if (heap.wouldAccept(s) && this.matches(slot, filter)) heap.offer(s, slot);
    }
    return heap.sortedDescending();
  }

  bytes(): number {
    return this.size * (this.dimension * 4 + 8);
  }

  private allocate(id: string): number {
    const slot = this.size;
    if (slot >= this.norms.length) this.grow();
    this.ids.push(id);
    this.metadata.push(undefined);
    this.data.push(undefined);
    this.entries.set(id, { slot, seq: this.nextSeq });
    this.nextSeq += 1;
    return slot;
  }

  private grow(): void {
    const capacity = Math.max(INITIAL_CAPACITY, this.norms.length * 2);
    const slab = new Float32Array(capacity * this.dimension);
    slab.set(this.slab);
    const norms = new Float64Array(capacity);
    norms.set(this.norms);
    this.slab = slab;
    this.norms = norms;
  }

  private writeVector(slot: number, vector: readonly number[]): void {
    const offset = slot * this.dimension;
    this.slab.set(vector, offset);
    let sum = 0;
    for (let i = 0; i < this.dimension; i += 1) {
      const x = this.slab[offset + i] as number;
      sum += x * x;
    }
    this.norms[slot] = Math.sqrt(sum);
  }

  private moveSlot(from: number, to: number): void {
    const d = this.dimension;
    this.slab.copyWithin(to * d, from * d, (from + 1) * d);
    this.norms[to] = this.norms[from] as number;
    const id = this.ids[from] as string;
    this.ids[to] = id;
    this.metadata[to] = this.metadata[from];
    this.data[to] = this.data[from];
    const entry = this.entries.get(id);
    if (entry) entry.slot = to;
  }
}

/**
 * Scores every slot into `out` with Upstash's normalised formulas (docs, "Vector
 * Similarity Functions"): COSINE (1 + cos) / 2, EUCLIDEAN 1 / (1 + squared distance),
 * DOT_PRODUCT (1 + dot) / 2. One flat loop per function, four accumulators per vector:
 * this is the whole cost of a query, and a per-slot callback made it about 3x slower.
 */
function scoreAll(similarity: SimilarityFunction, slab: Float32Array, norms: Float64Array, query: Float32Array, count: number, out: Float64Array): void {
  const dim = query.length;
  if (similarity === "EUCLIDEAN") {
    for (let slot = 0, offset = 0; slot < count; slot += 1, offset += dim) out[slot] = 1 / (1 + squaredDistance(slab, offset, query, dim));
    return;
  }
  if (similarity === "DOT_PRODUCT") {
    for (let slot = 0, offset = 0; slot < count; slot += 1, offset += dim) out[slot] = (1 + dot(slab, offset, query, dim)) / 2;
    return;
  }
  const queryNorm = norm(query);
  for (let slot = 0, offset = 0; slot < count; slot += 1, offset += dim) {
    const denominator = (norms[slot] as number) * queryNorm;
    // A zero vector has no direction; Upstash does not document this case, neutral is the least surprising.
    out[slot] = denominator === 0 ? 0.5 : (1 + Math.max(-1, Math.min(1, dot(slab, offset, query, dim) / denominator))) / 2;
  }
}

function dot(slab: Float32Array, offset: number, query: Float32Array, dim: number): number {
  let a = 0,
    b = 0,
    c = 0,
    d = 0;
  let i = 0;
  for (; i + 3 < dim; i += 4) {
    a += (slab[offset + i] as number) * (query[i] as number);
    b += (slab[offset + i + 1] as number) * (query[i + 1] as number);
    c += (slab[offset + i + 2] as number) * (query[i + 2] as number);
    d += (slab[offset + i + 3] as number) * (query[i + 3] as number);
  }
  for (; i < dim; i += 1) a += (slab[offset + i] as number) * (query[i] as number);
  return a + b + c + d;
}

function squaredDistance(slab: Float32Array, offset: number, query: Float32Array, dim: number): number {
  let a = 0,
    b = 0,
    c = 0,
    d = 0;
  let i = 0;
  for (; i + 3 < dim; i += 4) {
    const x = (slab[offset + i] as number) - (query[i] as number);
    const y = (slab[offset + i + 1] as number) - (query[i + 1] as number);
    const z = (slab[offset + i + 2] as number) - (query[i + 2] as number);
    const w = (slab[offset + i + 3] as number) - (query[i + 3] as number);
    a += x * x;
    b += y * y;
    c += z * z;
    d += w * w;
  }
  for (; i < dim; i += 1) {
    const x = (slab[offset + i] as number) - (query[i] as number);
    a += x * x;
  }
  return a + b + c + d;
}

function norm(vector: Float32Array): number {
  let sum = 0;
  for (const x of vector) sum += x * x;
  return Math.sqrt(sum);
}

/**
 * A bounded min-heap of the best k (score, slot) pairs seen so far: O(n log k) for the
 * whole scan instead of sorting all n scores. Ties keep the earlier slot.
 */
export class TopKHeap {
  private readonly scores: Float64Array;
  private readonly slots: Int32Array;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
  }

  wouldAccept(score: number): boolean {
    return this.size < this.capacity || (this.capacity > 0 && score > (this.scores[0] as number));
  }

  offer(score: number, slot: number): void {
    if (this.size < this.capacity) {
      this.scores[this.size] = score;
      this.slots[this.size] = slot;
      this.siftUp(this.size);
      this.size += 1;
    } else if (this.wouldAccept(score)) {
      this.scores[0] = score;
      this.slots[0] = slot;
      this.siftDown(0);
    }
  }

  sortedDescending(): { slots: Int32Array; scores: Float64Array } {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => (this.scores[b] as number) - (this.scores[a] as number) || (this.slots[a] as number) - (this.slots[b] as number));
    return { slots: Int32Array.from(order, (i) => this.slots[i] as number), scores: Float64Array.from(order, (i) => this.scores[i] as number) };
  }

  private less(a: number, b: number): boolean {
    const sa = this.scores[a] as number;
    const sb = this.scores[b] as number;
    // On equal scores the later slot counts as smaller, so it is the one pushed out.
    return sa < sb || (sa === sb && (this.slots[a] as number) > (this.slots[b] as number));
  }

  private swap(a: number, b: number): void {
    const score = this.scores[a] as number;
    this.scores[a] = this.scores[b] as number;
    this.scores[b] = score;
    const slot = this.slots[a] as number;
    this.slots[a] = this.slots[b] as number;
    this.slots[b] = slot;
  }

  private siftUp(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.less(child, parent)) return;
      this.swap(child, parent);
      child = parent;
    }
  }

  private siftDown(index: number): void {
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < this.size && this.less(left, smallest)) smallest = left;
      if (right < this.size && this.less(right, smallest)) smallest = right;
      if (smallest === parent) return;
      this.swap(parent, smallest);
      parent = smallest;
    }
  }
}

/** RFC 7396: objects merge key by key, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): Metadata {
  const base = isPlainObject(target) ? target : {};
  if (!isPlainObject(patch)) return base;
  const merged = new Map<string, unknown>(Object.entries(base));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) merged.delete(key);
    else merged.set(key, isPlainObject(value) ? mergePatch(merged.get(key), value) : value);
  }
  // fromEntries defines own properties, so a "__proto__" key stays data and never a prototype.
  return Object.fromEntries(merged);
}

function isPlainObject(value: unknown): value is Metadata {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export class VectorStore {
  readonly similarity: SimilarityFunction;
  private readonly fixedDimension: number | undefined;
  private dim: number | undefined;
  private readonly namespaces = new Map<string, Namespace>();

  constructor(options: VectorStoreOptions = {}) {
    this.similarity = options.similarity ?? "COSINE";
    this.fixedDimension = options.dimension;
    this.dim = options.dimension;
  }

  /** Undefined until the first upsert when no dimension was configured. */
  get dimension(): number | undefined {
    return this.dim;
  }

  /** All or nothing: one vector of the wrong dimension rejects the whole batch. */
  upsert(namespace: string, records: readonly NewVector[]): Outcome<number> {
    const dimension = this.dim ?? records[0]?.vector.length;
    if (dimension === undefined) return ok(0);
    for (const record of records) {
      const error = dimensionError(record.vector.length, dimension);
      if (error) return fail(error);
    }
    this.dim = dimension;
    const target = this.namespaceForWrite(namespace, dimension);
    for (const record of records) target.put(record);
    return ok(records.length);
  }

  update(namespace: string, update: VectorPatch): Outcome<number> {
    if (update.vector && this.dim !== undefined) {
      const error = dimensionError(update.vector.length, this.dim);
      if (error) return fail(error);
    }
    return ok(this.namespaces.get(namespace)?.patch(update) ? 1 : 0);
  }

  query(namespace: string, vector: readonly number[], topK: number, filter: FilterNode | undefined, include: Include): Outcome<VectorView[]> {
    if (this.dim !== undefined) {
      const error = dimensionError(vector.length, this.dim);
      if (error) return fail(error);
    }
    const target = this.namespaces.get(namespace);
    if (!target || target.size === 0) return ok([]);
    const { slots, scores } = target.topK(Float32Array.from(vector), topK, this.similarity, filter);
    return ok(Array.from(slots, (slot, i) => target.viewSlot(slot, include, scores[i])));
  }

  /** One entry per id, null where there is none, in the order asked. */
  fetch(namespace: string, ids: readonly string[], include: Include): (VectorView | null)[] {
    const target = this.namespaces.get(namespace);
    return ids.map((id) => target?.view(id, include) ?? null);
  }

  fetchByPrefix(namespace: string, prefix: string, include: Include): VectorView[] {
    const target = this.namespaces.get(namespace);
    if (!target) return [];
    return [...target.inOrder()].filter((e) => e.id.startsWith(prefix)).map((e) => target.viewSlot(e.slot, include));
  }

  delete(namespace: string, ids: readonly string[]): number {
    const target = this.namespaces.get(namespace);
    if (!target) return 0;
    return ids.reduce((deleted, id) => deleted + (target.remove(id) ? 1 : 0), 0);
  }

  deleteWhere(namespace: string, selector: { prefix: string } | { filter: FilterNode | undefined }): number {
    const target = this.namespaces.get(namespace);
    if (!target) return 0;
    const doomed = [...target.inOrder()]
      .filter((e) => ("prefix" in selector ? e.id.startsWith(selector.prefix) : target.matches(e.slot, selector.filter)))
      .map((e) => e.id);
    return this.delete(namespace, doomed);
  }

  /** Pages in insertion order; the cursor is the position of the next vector, "" at the end. */
  range(namespace: string, cursor: number, limit: number, prefix: string | undefined, include: Include): RangePage {
    const target = this.namespaces.get(namespace);
    const vectors: VectorView[] = [];
    if (!target) return { nextCursor: "", vectors };
    for (const entry of target.inOrder(cursor)) {
      if (prefix !== undefined && !entry.id.startsWith(prefix)) continue;
      if (vectors.length === limit) return { nextCursor: String(entry.seq), vectors };
      vectors.push(target.viewSlot(entry.slot, include));
    }
    return { nextCursor: "", vectors };
  }

  /** Empties one namespace; it keeps existing (as the default one always does). */
  reset(namespace: string): void {
    if (this.namespaces.has(namespace) || namespace === DEFAULT_NAMESPACE) {
      this.namespaces.set(namespace, new Namespace(this.dim ?? 0));
    }
  }

  /** Every namespace gone; a dimension learnt from data is forgotten too, a configured one is kept. */
  resetAll(): void {
    this.namespaces.clear();
    this.dim = this.fixedDimension;
  }

  listNamespaces(): string[] {
    return [...new Set([DEFAULT_NAMESPACE, ...this.namespaces.keys()])];
  }

  deleteNamespace(namespace: string): Outcome<"Success"> {
    if (namespace === DEFAULT_NAMESPACE) return fail("Cannot delete the default namespace");
    if (!this.namespaces.delete(namespace)) return fail(`Namespace ${JSON.stringify(namespace)} does not exist`);
    return ok("Success");
  }

  info(): IndexInfo {
    const namespaces: Record<string, NamespaceInfo> = {};
    let vectorCount = 0;
    let indexSize = 0;
    for (const name of this.listNamespaces()) {
      const target = this.namespaces.get(name);
      const count = target?.size ?? 0;
      namespaces[name] = { vectorCount: count, pendingVectorCount: 0 };
      vectorCount += count;
      indexSize += target?.bytes() ?? 0;
    }
    const dimension = this.dim ?? 0;
    return {
      vectorCount,
      pendingVectorCount: 0,
      indexSize,
      dimension,
      similarityFunction: this.similarity,
      indexType: "DENSE",
      denseIndex: { dimension, similarityFunction: this.similarity },
      namespaces,
    };
  }

  private namespaceForWrite(namespace: string, dimension: number): Namespace {
    const existing = this.namespaces.get(namespace);
    // A namespace emptied before the dimension was known was made with dimension 0.
    if (existing && existing.dimension === dimension) return existing;
    if (existing && existing.size > 0) throw new Error(`namespace ${namespace} holds vectors of dimension ${existing.dimension}`);
    const created = new Namespace(dimension);
    this.namespaces.set(namespace, created);
    return created;
  }
}

/** Upstash's wording for the same mistake. */
export function dimensionError(got: number, expected: number): string | undefined {
  return got === expected ? undefined : `Invalid vector dimension: ${got}, expected: ${expected}`;
}
