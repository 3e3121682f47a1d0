/**
 * Loads one published model version from R2 into this isolate: manifest (checked against
 * the pointer's hash), every file (size + sha256), item table, neighbour lists and catalog
 * snapshot parsed into maps, one ONNX session per graph, and one warm-up run of each. Either all of that
 * succeeds and the caller gets a model ready to serve, or it throws a ModelLoadError with
 * the reason and releases the sessions it created.
 */
import type { ZodType } from "zod";
import type { EdgeItemRecord } from "../../models/catalog.js";
import { FEATURE_NAMES, featureSpecHash } from "../../models/feature-spec.js";
import { sha256OfBytes } from "../../models/hash.js";
import {
  CatalogFileSchema,
  ItemsFileSchema,
  MANIFEST_FILE,
  ManifestSchema,
  NeighboursFileSchema,
  artifactKey,
  type Artifact,
  type ArtifactRole,
  type CatalogFile,
  type Manifest,
} from "../../models/model-manifest.js";
import { decodeItemWeights, type ItemWeights } from "../../models/item-weights.js";
import type { CatalogSnapshot } from "../features/catalog-overlay.js";
import { describeZodError } from "../http/errors.js";
import { dropSession, getSession, type InferenceSession } from "../onnx/ort-runtime.js";
import { ArtifactError, readBytes, readVerified } from "./artifact-store.js";
import { warmUp, type ModelSessions } from "./inference.js";
import { manifestProblem } from "./manifest-rules.js";
import { checkManifestSignature, type SigningEnv } from "./signing-keys.js";

export type Neighbours = Map<string, Array<[string, number]>>;

export interface LoadedModel extends ModelSessions {
  version: string;
  manifest: Manifest;
  /** sha256 of manifest.json's bytes: with the version, what identifies this load. */
  manifestSha256: string;
  /** Item ids in the row order of every graph index. */
  items: string[];
  itemIndex: Map<string, number>;
  /** Epoch ms of each item's first interaction in the training data (item_age_days); unknown items are absent. */
  firstSeen: Map<string, number>;
  similar: Neighbours;
  boughtTogether: Neighbours;
  /** The training data's popular and trending lists (items.json); [] for versions without them. */
  popular: Array<[string, number]>;
  trending: Array<[string, number]>;
  /** Role "retrieval": fold-in + scoring of every item in the isolate (path in_process). */
  retrieval: InferenceSession | null;
  /** Role "fold_in": the user vector only, for the vector store (path vector_store). */
  foldIn: InferenceSession | null;
  ranker: InferenceSession | null;
  /** Role "item_weights": the EASE table, when the manifest's scorer is ease. */
  itemWeights: ItemWeights | null;
  /** Role "catalog": the catalog's records as training read them; null for versions without it. */
  catalog: CatalogSnapshot | null;
  /** Rough bytes this version holds: artifact bytes (copied into WASM by the sessions) + parsed maps. */
  memoryBytes: number;
  /** Epoch ms when the load finished. */
  loadedAt: number;
}

export class ModelLoadError extends Error {
  override name = "ModelLoadError";
  constructor(
    message: string,
    /** True when the version has no manifest at all (a 404 to the admin API, not a broken version). */
    readonly missing = false,
  ) {
    super(message);
  }
}

const SESSION_ROLES = ["retrieval", "fold_in", "ranker"] as const satisfies readonly ArtifactRole[];
type SessionRole = (typeof SESSION_ROLES)[number];

/**
 * "<version>/<role>@<manifest hash prefix>": the hash keeps a version re-published under
 * the same name (new manifest) from being handed the old version's cached session.
 */
export function sessionKey(version: string, manifestSha256: string, role: SessionRole): string {
  return `${version}/${role}@${manifestSha256.slice(0, 12)}`;
}

export function sessionKeysOf(model: Pick<LoadedModel, "version" | "manifestSha256" | "manifest">): string[] {
  return SESSION_ROLES.filter((role) => model.manifest.files.some((f) => f.role === role)).map((role) => sessionKey(model.version, model.manifestSha256, role));
}

function parseJson<T>(bytes: Uint8Array, what: string, schema: ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ModelLoadError(`${what} is not valid JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const { field, message } = describeZodError(parsed.error);
    throw new ModelLoadError(`${what}: ${field}: ${message}`);
  }
  return parsed.data;
}

/** Reads and checks manifest.json; `expectedSha256` is the pointer's, absent for a trial before activation. */
async function readManifest(
  bucket: R2Bucket,
  version: string,
  signingEnv: SigningEnv,
  expectedSha256?: string,
): Promise<{ manifest: Manifest; sha256: string }> {
  const key = artifactKey(version, MANIFEST_FILE);
  const bytes = await readBytes(bucket, key);
  if (!bytes) throw new ModelLoadError(`${key} is missing`, true);
  const sha256 = await sha256OfBytes(bytes);
  if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
    throw new ModelLoadError(`${key} has sha256 ${sha256}, but the active pointer names ${expectedSha256}`);
  }
  const manifest = parseJson(bytes, key, ManifestSchema);
  if (manifest.version !== version) throw new ModelLoadError(`${key} is for version ${manifest.version}`);
  // R2 can be written without the admin API: the signature is checked on every load.
  const signature = await checkManifestSignature(manifest, signingEnv);
  if (!signature.ok) throw new ModelLoadError(`${key}: ${signature.message}`);
  const problem = manifestProblem(manifest);
  if (problem) throw new ModelLoadError(`${key}: ${problem.field}: ${problem.message}`);
  await checkFeatureSpec(manifest);
  return { manifest, sha256 };
}

/** first_seen is aligned with items; −1 (or any negative) means unknown. */
function firstSeenMap(items: readonly string[], firstSeen: readonly number[] | undefined, file: string): Map<string, number> {
  const map = new Map<string, number>();
  if (!firstSeen) return map;
  if (firstSeen.length !== items.length) throw new ModelLoadError(`${file}: first_seen has ${firstSeen.length} entries for ${items.length} items`);
  firstSeen.forEach((ts, i) => {
    if (ts >= 0) map.set(items[i]!, ts);
  });
  return map;
}

let edgeSpecHash: Promise<string> | undefined;

/**
 * A ranker reads features by column; if the version was trained on another feature list
 * (models/feature-spec.ts) than this edge computes, its scores are meaningless, and
 * silently so. Such a version is refused whole: the one that passed the offline gates
 * had that ranker, so serving it without one would be serving an unevaluated model.
 */
async function checkFeatureSpec(manifest: Manifest): Promise<void> {
  if (!manifest.ranker) return;
  edgeSpecHash ??= featureSpecHash();
  const mine = await edgeSpecHash;
  if (manifest.feature_spec_hash !== mine) {
    throw new ModelLoadError(`the ranker was trained with feature spec ${manifest.feature_spec_hash}, this edge computes ${mine}`);
  }
  const names = manifest.ranker.features;
  if (names.length !== FEATURE_NAMES.length || names.some((n, i) => n !== FEATURE_NAMES[i])) {
    throw new ModelLoadError(`ranker.features [${names.join(", ")}] are not this edge's feature columns [${FEATURE_NAMES.join(", ")}]`);
  }
}

function estimateMemory(
  files: readonly Artifact[],
  items: readonly string[],
  firstSeen: Map<string, number>,
  similar: Neighbours,
  boughtTogether: Neighbours,
  catalog: CatalogSnapshot | null,
): number {
  // V8: ~2 bytes per character (+ header) for a string, ~50 bytes per Map entry or small array.
  const str = (s: string) => 16 + 2 * s.length;
  let bytes = files.reduce((sum, f) => sum + f.bytes, 0);
  for (const id of items) bytes += 2 * str(id) + 50;
  bytes += firstSeen.size * 50;
  // A catalog record: its Map entry and a four-field object.
  for (const [id, r] of catalog?.records ?? []) bytes += str(id) + str(r.title) + (r.category ? str(r.category) : 0) + 80;
  for (const lists of [similar, boughtTogether]) {
    for (const [id, list] of lists) {
      bytes += str(id) + 50;
      for (const [other] of list) bytes += str(other) + 40;
    }
  }
  return bytes;
}

export interface LoadOptions {
  /** The signing keys' variables (MODEL_SIGNING_KEY…): the manifest must verify under one of them. */
  signingEnv: SigningEnv;
  /** The pointer's manifest hash; the load fails if manifest.json's bytes hash differently. */
  expectedManifestSha256?: string;
  /** Sessions still serving (the current model's): never released when this load fails. */
  inUse?: (key: string) => boolean;
  now?: () => number;
}

function catalogSnapshot(file: CatalogFile): CatalogSnapshot {
  const records = new Map<string, EdgeItemRecord>();
  for (const [id, title, category, price, available] of file.items) records.set(id, { title, category, price, available });
  return { takenAt: file.taken_at, records };
}

export async function loadModelVersion(bucket: R2Bucket, version: string, opts: LoadOptions): Promise<LoadedModel> {
  const { manifest, sha256: manifestSha256 } = await readManifest(bucket, version, opts.signingEnv, opts.expectedManifestSha256);
  const bytesByRole = new Map<ArtifactRole, Uint8Array>();
  await Promise.all(
    manifest.files.map(async (f) => {
      try {
        bytesByRole.set(f.role, await readVerified(bucket, artifactKey(version, f.name), f));
      } catch (err) {
        throw err instanceof ArtifactError ? new ModelLoadError(err.message) : err;
      }
    }),
  );
  const fileOf = (role: ArtifactRole) => manifest.files.find((f) => f.role === role)?.name ?? role;
  const itemsFile = parseJson(bytesByRole.get("items")!, fileOf("items"), ItemsFileSchema);
  const items = itemsFile.items;
  const itemIndex = new Map(items.map((id, i) => [id, i]));
  if (itemIndex.size !== items.length) throw new ModelLoadError(`${fileOf("items")} lists an item id more than once`);
  const firstSeen = firstSeenMap(items, itemsFile.first_seen, fileOf("items"));
  const neighboursBytes = bytesByRole.get("neighbours");
  const neighbours = neighboursBytes ? parseJson(neighboursBytes, fileOf("neighbours"), NeighboursFileSchema) : { similar: {}, bought_together: {} };
  const similar: Neighbours = new Map(Object.entries(neighbours.similar));
  const boughtTogether: Neighbours = new Map(Object.entries(neighbours.bought_together));

  const weightsBytes = bytesByRole.get("item_weights");
  let itemWeights: ItemWeights | null = null;
  if (weightsBytes) {
    try {
      itemWeights = decodeItemWeights(weightsBytes, items.length);
    } catch (err) {
      throw new ModelLoadError(`${fileOf("item_weights")}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const catalogBytes = bytesByRole.get("catalog");
  const catalog = catalogBytes ? catalogSnapshot(parseJson(catalogBytes, fileOf("catalog"), CatalogFileSchema)) : null;

  const created: string[] = [];
  const session = async (role: SessionRole): Promise<InferenceSession | null> => {
    const bytes = bytesByRole.get(role);
    if (!bytes) return null;
    const key = sessionKey(version, manifestSha256, role);
    created.push(key);
    try {
      return await getSession(key, () => bytes);
    } catch (err) {
      throw new ModelLoadError(`${fileOf(role)}: onnxruntime refused the graph: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  try {
    const [retrieval, foldIn, ranker] = await Promise.all([session("retrieval"), session("fold_in"), session("ranker")]);
    const model: LoadedModel = {
      version,
      manifest,
      manifestSha256,
      items,
      itemIndex,
      firstSeen,
      similar,
      boughtTogether,
      popular: itemsFile.popular ?? [],
      trending: itemsFile.trending ?? [],
      retrieval,
      foldIn,
      ranker,
      itemWeights,
      catalog,
      memoryBytes: estimateMemory(manifest.files, items, firstSeen, similar, boughtTogether, catalog),
      loadedAt: 0,
    };
    try {
      await warmUp(model);
    } catch (err) {
      throw new ModelLoadError(`warm-up run failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    model.loadedAt = (opts.now ?? Date.now)();
    return model;
  } catch (err) {
    await Promise.allSettled(created.filter((key) => !opts.inUse?.(key)).map((key) => dropSession(key)));
    throw err;
  }
}
