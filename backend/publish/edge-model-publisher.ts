/**
 * Publishes a trained version to the edge through its admin API, in the order that keeps
 * serving safe: every file is uploaded with its sha256 (the edge re-hashes and refuses a
 * mismatch), item vectors go to Upstash Vector when the version retrieves from there,
 * the manifest is signed (MODEL_SIGNING_KEY) and written last (the edge verifies the
 * signature and checks every listed file against it), and only
 * `activate` flips the active pointer — after the edge has loaded and warmed the version
 * itself and would refuse it otherwise.
 */
import { signManifest, signingKey } from "../../models/manifest-signature.js";
import type { ModelPublisher, PublishedFiles } from "../training-jobs/types.js";
import { sendToEdge, type RetryOptions, PublishError } from "./edge-admin-client.js";

export interface VectorStoreTarget {
  url: string;
  token?: string;
}

export interface EdgeModelPublisherOptions extends RetryOptions {
  edgeUrl: string;
  edgeAdminToken: string;
  /** MODEL_SIGNING_KEY: every manifest is signed with it; the edge accepts signed manifests only. */
  signingKey: { secret: string; id?: string };
  vectorStore?: VectorStoreTarget;
}

/** Vectors per upsert request; Upstash Vector accepts up to 1,000. */
export const VECTOR_BATCH = 1000;

export interface VectorsToUpsert {
  ids: string[];
  factors: number;
  values: Float32Array;
}

export async function upsertVectors(target: VectorStoreTarget, namespace: string, vectors: VectorsToUpsert, options: RetryOptions = {}): Promise<number> {
  const f = vectors.factors;
  for (let start = 0; start < vectors.ids.length; start += VECTOR_BATCH) {
    const batch = vectors.ids.slice(start, start + VECTOR_BATCH).map((id, j) => ({
      id,
      vector: Array.from(vectors.values.subarray((start + j) * f, (start + j + 1) * f)),
    }));
    await sendToEdge(
      target.url,
      target.token ?? "",
      {
        method: "POST",
        path: `/upsert/${encodeURIComponent(namespace)}`,
        body: JSON.stringify(batch),
        contentType: "application/json",
        what: "upserting item vectors",
      },
      options,
    );
  }
  return vectors.ids.length;
}

export function createEdgeModelPublisher(options: EdgeModelPublisherOptions): ModelPublisher {
  const { edgeUrl, edgeAdminToken } = options;
  const retry: RetryOptions = { ...options, timeoutMs: options.timeoutMs ?? 60_000 };
  const base = (version: string) => `/v1/admin/models/${encodeURIComponent(version)}`;
  return {
    async publish(c: PublishedFiles) {
      for (const a of c.artifacts) {
        await sendToEdge(
          edgeUrl,
          edgeAdminToken,
          {
            method: "PUT",
            path: `${base(c.version)}/files/${encodeURIComponent(a.name)}`,
            body: a.bytes,
            contentType: "application/octet-stream",
            headers: { "x-content-sha256": a.sha256 },
            what: `uploading ${a.name} of ${c.version}`,
          },
          retry,
        );
      }
      if (c.vectors) {
        if (!options.vectorStore)
          throw new PublishError(`${c.version} retrieves from the vector store, but no vector store is configured (UPSTASH_VECTOR_REST_URL)`);
        await upsertVectors(options.vectorStore, c.version, c.vectors, retry);
      }
      const manifest = await signManifest(c.manifest, await signingKey(options.signingKey.secret, options.signingKey.id));
      const { body } = await sendToEdge(
        edgeUrl,
        edgeAdminToken,
        {
          method: "PUT",
          path: `${base(c.version)}/manifest`,
          body: JSON.stringify(manifest),
          contentType: "application/json",
          what: `writing the manifest of ${c.version}`,
        },
        retry,
      );
      const sha = (body as { manifest_sha256?: unknown } | null)?.manifest_sha256;
      if (typeof sha !== "string") throw new PublishError(`the edge did not return the manifest's sha256 for ${c.version}`);
      return { manifestSha256: sha };
    },
    async activate(version: string) {
      await sendToEdge(
        edgeUrl,
        edgeAdminToken,
        { method: "PUT", path: "/v1/admin/models/active", body: JSON.stringify({ version }), contentType: "application/json", what: `activating ${version}` },
        retry,
      );
    },
  };
}
