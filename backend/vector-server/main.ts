/**
 * Command-line entry for the local Upstash Vector stand-in:
 *   tsx backend/vector-server/main.ts
 * Environment: VECTOR_SERVER_PORT (8080), VECTOR_SERVER_HOST (127.0.0.1),
 * UPSTASH_VECTOR_REST_TOKEN (optional), VECTOR_DIMENSION (optional; otherwise the first
 * upsert sets it), VECTOR_SIMILARITY (COSINE). Prints one line with its URL.
 */
import { DEFAULT_VECTOR_HOST, DEFAULT_VECTOR_PORT, startVectorServer } from "./server.js";
import { SIMILARITY_FUNCTIONS, type SimilarityFunction } from "./store.js";

async function main(): Promise<void> {
  const env = process.env;
  const host = env.VECTOR_SERVER_HOST || DEFAULT_VECTOR_HOST;
  const port = parseInteger("VECTOR_SERVER_PORT", env.VECTOR_SERVER_PORT, DEFAULT_VECTOR_PORT, 0, 65535);
  const dimension = env.VECTOR_DIMENSION ? parseInteger("VECTOR_DIMENSION", env.VECTOR_DIMENSION, 0, 1, 1_000_000) : undefined;
  const similarity = parseSimilarity(env.VECTOR_SIMILARITY);
  const token = env.UPSTASH_VECTOR_REST_TOKEN || undefined;

  const server = await startVectorServer({ token, host, port, dimension, similarity }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EADDRINUSE") throw error;
    throw new Error(`${host}:${port} is already in use (another vector server running?); set VECTOR_SERVER_PORT to another port`);
  });
  const auth = token ? "Bearer token required" : "no token required";
  const shape = `${similarity ?? "COSINE"}, dimension ${dimension ?? "set by the first upsert"}`;
  console.log(`Vector server (Upstash Vector REST) listening on ${server.url} (${shape}; ${auth})`);

  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (!value) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

function parseSimilarity(value: string | undefined): SimilarityFunction | undefined {
  if (!value) return undefined;
  const upper = value.toUpperCase();
  const match = SIMILARITY_FUNCTIONS.find((name) => name === upper);
  if (!match) throw new Error(`VECTOR_SIMILARITY must be one of ${SIMILARITY_FUNCTIONS.join(", ")}, got ${JSON.stringify(value)}`);
  return match;
}

main().catch((error: unknown) => {
  console.error(`vector-server: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
