/**
 * Retrieval for versions whose catalog is too large for the isolate (manifest path
 * "vector_store"): the history items' vectors are fetched from Upstash Vector, the user
 * vector is folded in with the version's fold-in graph, and the store's top-K query
 * (namespace = version, DOT_PRODUCT index) returns the candidates. Two HTTP calls to a
 * regional store instead of one MatMul in the isolate; only the retrieval scores of the
 * returned items are known, so other candidates get no retrieval score (null).
 */
import type { Env } from "../env.js";
import { foldIn, type HistoryEntry } from "./inference.js";
import type { LoadedModel } from "./load-version.js";

export interface VectorRetrieval {
  ids: string[];
  scores: number[];
  userVector: Float32Array;
}

type VectorEnv = Pick<Env, "UPSTASH_VECTOR_REST_URL" | "UPSTASH_VECTOR_REST_TOKEN">;

async function call<T>(env: VectorEnv, path: string, body: unknown, signal: AbortSignal): Promise<T> {
  const response = await fetch(`${env.UPSTASH_VECTOR_REST_URL}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(env.UPSTASH_VECTOR_REST_TOKEN ? { authorization: `Bearer ${env.UPSTASH_VECTOR_REST_TOKEN}` } : {}) },
    body: JSON.stringify(body),
    signal,
  });
  const json = (await response.json()) as { result?: T; error?: string };
  if (!response.ok || json.result === undefined) throw new Error(`vector store ${path}: ${response.status} ${json.error ?? ""}`.trim());
  return json.result;
}

export async function retrieveFromVectorStore(
  env: VectorEnv,
  model: LoadedModel,
  history: readonly HistoryEntry[],
  budgetMs: number,
): Promise<VectorRetrieval | null> {
  if (!env.UPSTASH_VECTOR_REST_URL) throw new Error("UPSTASH_VECTOR_REST_URL is not set; vector-store versions cannot retrieve");
  const signal = AbortSignal.timeout(budgetMs);
  const ns = `/${encodeURIComponent(model.version)}`;
  const ids = history.map((h) => model.items[h.index]!);
  const fetched = await call<Array<{ id: string; vector?: number[] } | null>>(env, `/fetch${ns}`, { ids, includeVectors: true }, signal);
  const f = model.manifest.retrieval.factors;
  const rows: number[] = [];
  const strengths: number[] = [];
  fetched.forEach((v, i) => {
    if (v?.vector?.length === f) {
      rows.push(...v.vector);
      strengths.push(history[i]!.strength);
    }
  });
  if (strengths.length === 0) return null;
  const userVector = await foldIn(model, Float32Array.from(rows), strengths);
  const hits = await call<Array<{ id: string; score: number }>>(
    env,
    `/query${ns}`,
    { vector: Array.from(userVector), topK: model.manifest.retrieval.top_k, includeVectors: false, includeMetadata: false },
    signal,
  );
  return { ids: hits.map((h) => h.id), scores: hits.map((h) => h.score), userVector };
}
