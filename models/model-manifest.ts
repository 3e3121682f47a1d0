/**
 * The manifest of a published model version: what the backend uploads last and the edge
 * reads first. It names every artifact with its sha256 so the edge can refuse a file that
 * was corrupted or swapped in storage, and it pins the feature specification by hash so a
 * ranker is never fed features computed by a different definition than it was trained on.
 *
 * Storage layout (R2, bucket ARTIFACTS):   models/<version>/<file name>
 *                                          models/<version>/manifest.json
 * Active pointer (KV, namespace CONFIG):   model:active → ActivePointer (JSON)
 * KV writes of one key are atomic, so flipping the pointer switches every isolate to the
 * new version within the pointer cache's lifetime, never to half of one.
 */
import { z } from "zod";
import { DEFAULT_CANDIDATE_LIMITS, ORDERINGS, type CandidateLimits } from "./candidates.js";

export const MODEL_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const ModelVersionSchema = z
  .string()
  .regex(MODEL_VERSION_PATTERN, "must be 1–64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");

export const ARTIFACT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const ArtifactNameSchema = z.string().regex(ARTIFACT_NAME_PATTERN, "must be 1–64 characters of lower-case letters, digits, '.', '_' or '-'");

export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits (sha256)");

/** What each file is for; the edge looks files up by role, not by name. */
export const ARTIFACT_ROLES = ["retrieval", "fold_in", "ranker", "items", "neighbours", "item_weights", "catalog"] as const;
export type ArtifactRole = (typeof ARTIFACT_ROLES)[number];

export const ArtifactSchema = z.strictObject({
  name: ArtifactNameSchema,
  role: z.enum(ARTIFACT_ROLES),
  sha256: Sha256Schema,
  bytes: z.number().int().nonnegative(),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

/**
 * "in_process": the retrieval graph holds every item vector and runs inside the isolate.
 * "vector_store": item vectors live in Upstash Vector (namespace = version); the edge runs
 * only the fold-in graph and queries the store with the user's vector.
 */
export const RETRIEVAL_PATHS = ["in_process", "vector_store"] as const;
export type RetrievalPath = (typeof RETRIEVAL_PATHS)[number];

/** HMAC-SHA256 over the manifest's canonical form (models/manifest-signature.ts). */
export const ManifestSignatureSchema = z.strictObject({
  alg: z.literal("HMAC-SHA256"),
  key_id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1–64 letters, digits, '.', '_' or '-'"),
  value: Sha256Schema,
});
export type ManifestSignature = z.infer<typeof ManifestSignatureSchema>;

/** A source may add at most this many candidates: the ranker's graph and the edge's CPU are sized for lists of a few thousand. */
export const MAX_CANDIDATES_PER_SOURCE = 2_000;

export const ManifestSchema = z.strictObject({
  version: ModelVersionSchema,
  created_at: z.string().datetime(),
  /** sha256 of the canonical feature specification the ranker was trained with. */
  feature_spec_hash: Sha256Schema,
  catalog_size: z.number().int().nonnegative(),
  retrieval: z.strictObject({
    path: z.enum(RETRIEVAL_PATHS),
    factors: z.number().int().positive(),
    /** iALS confidence scale: c = 1 + alpha · r. */
    alpha: z.number().nonnegative(),
    regularization: z.number().nonnegative(),
    /** ν of iALS's frequency-scaled λ, λ·(items + α Σr)^ν per user; absent: 0, the constant λ. */
    regularization_exponent: z.number().min(0).max(2).optional(),
    /** How summed event weights become the r of training (and therefore of fold-in). */
    strength: z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("linear") }),
      z.strictObject({ kind: z.literal("log"), epsilon: z.number().positive() }),
    ]),
    /** Event weights the trainer summed; the edge sums session events with the same ones. */
    event_weights: z.record(z.string(), z.number()),
    /** Candidates the retrieval graph returns (its TopK). */
    top_k: z.number().int().positive(),
  }),
  /**
   * Which model feeds the "cf" candidates: "ials" (the retrieval graph, the default when
   * absent) or "ease" (the item_weights table, models/item-weights.ts; λ and rows kept).
   */
  scorer: z
    .discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("ials") }),
      z.strictObject({
        kind: z.literal("ease"),
        lambda: z.number().positive(),
        /** Dropout emphasis of the regulariser (backend/training/ease.ts); absent in older manifests = 0. */
        dropout: z.number().min(0).lt(1).optional(),
        keep: z.number().int().positive(),
      }),
    ])
    .optional(),
  /** How candidates are ordered; absent: the ranker when one ships, else the formula. */
  ordering: z.enum(ORDERINGS).optional(),
  /**
   * How many candidates each source adds (models/candidates.ts), as the ranker's training
   * lists were generated: the edge builds the same lists. Absent in older manifests =
   * DEFAULT_CANDIDATE_LIMITS.
   */
  candidates: z
    .strictObject({
      retrieval: z.number().int().min(0).max(MAX_CANDIDATES_PER_SOURCE),
      similar: z.number().int().min(0).max(MAX_CANDIDATES_PER_SOURCE),
      realtime: z.number().int().min(0).max(MAX_CANDIDATES_PER_SOURCE),
      trending: z.number().int().min(0).max(MAX_CANDIDATES_PER_SOURCE),
      popular: z.number().int().min(0).max(MAX_CANDIDATES_PER_SOURCE),
    })
    .optional(),
  /** null when the version ships no ranker: the edge then orders by the weighted formula. */
  ranker: z.strictObject({ trees: z.number().int().nonnegative(), features: z.array(z.string()) }).nullable(),
  files: z.array(ArtifactSchema).min(1).max(16),
  /** Optional in the schema so an unsigned manifest gets its own refusal; the edge serves signed ones only. */
  signature: ManifestSignatureSchema.optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const ActivePointerSchema = z.strictObject({
  version: ModelVersionSchema,
  /** sha256 of manifest.json's bytes, so a replaced manifest is detected as well. */
  manifest_sha256: Sha256Schema,
  activated_at: z.string().datetime(),
});
export type ActivePointer = z.infer<typeof ActivePointerSchema>;

export const ACTIVE_POINTER_KEY = "model:active";
export const MANIFEST_FILE = "manifest.json";

export function artifactKey(version: string, name: string): string {
  return `models/${version}/${name}`;
}

export function artifactOf(manifest: Manifest, role: ArtifactRole): Artifact | undefined {
  return manifest.files.find((f) => f.role === role);
}

/** The candidate limits a manifest asks for, with the default of manifests that predate the field. */
export function candidateLimitsOf(manifest: Manifest): Readonly<CandidateLimits> {
  return manifest.candidates ?? DEFAULT_CANDIDATE_LIMITS;
}

/** The ordering a manifest asks for, with the default of manifests that predate the field. */
export function orderingOf(manifest: Manifest): (typeof ORDERINGS)[number] {
  return manifest.ordering ?? (manifest.ranker ? "ranker" : "formula");
}

/**
 * items.json: item ids in the row order of every factor matrix and graph output index,
 * and per row the epoch ms of the item's first interaction in the training data (the
 * item_age_days feature), −1 when unknown.
 */
const TopListSchema = z.array(z.tuple([z.string(), z.number()]));
export const ItemsFileSchema = z.strictObject({
  items: z.array(z.string()),
  first_seen: z.array(z.number()).optional(),
  /**
   * Popular (7 d half-life) and trending (24 h) at the end of the training data: the edge
   * serves these while the feature store has no live counts (a shop that imported its history).
   */
  popular: TopListSchema.optional(),
  trending: TopListSchema.optional(),
});

/** neighbours.json: per item, similar items and bought-together items, best first. */
export const NeighboursFileSchema = z.strictObject({
  similar: z.record(z.string(), z.array(z.tuple([z.string(), z.number()]))),
  bought_together: z.record(z.string(), z.array(z.tuple([z.string(), z.number()]))),
});
export type NeighboursFile = z.infer<typeof NeighboursFileSchema>;

/**
 * catalog.json: the catalog's edge records as the trainer read them, so the edge reads
 * live only the records that changed after `taken_at` (models/catalog-changes.ts).
 * Each entry: [item id, title, category, price, available].
 */
export const CatalogFileSchema = z.strictObject({
  /** Epoch ms; every record change stamped after it is in the feature store's change set. */
  taken_at: z.number().int().nonnegative(),
  items: z.array(z.tuple([z.string(), z.string(), z.string().nullable(), z.number().nullable(), z.boolean()])),
});
export type CatalogFile = z.infer<typeof CatalogFileSchema>;
