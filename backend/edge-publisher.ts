/**
 * Publishes the API key set (hashes only) to the edge: `PUT ${edgeUrl}/v1/admin/keys`
 * with the EDGE_ADMIN_TOKEN, so the edge verifies keys without calling the backend.
 * The backend usually starts before the edge, so connection failures, 5xx and 429 are
 * retried with capped exponential back-off; any other answer is final.
 */
import { KeySetSchema, type KeySet } from "../models/api-keys.js";
import { listPublishableKeys } from "./auth/api-key-store.js";
import type { Db } from "./db/client.js";
import { PublishError, sendToEdge, type RetryOptions } from "./publish/edge-admin-client.js";

export type PublishOptions = RetryOptions;
export { PublishError };

export interface PublishResult {
  keys: number;
  attempts: number;
}

export async function publishKeySet(edgeUrl: string, edgeAdminToken: string, db: Db, options: PublishOptions = {}): Promise<PublishResult> {
  // Validated here so a bad row fails loudly in the backend, not as a 400 at the edge.
  const keySet: KeySet = KeySetSchema.parse({ keys: await listPublishableKeys(db) });
  const { attempts } = await sendToEdge(
    edgeUrl,
    edgeAdminToken,
    { method: "PUT", path: "/v1/admin/keys", body: JSON.stringify(keySet), contentType: "application/json", what: "publishing the key set" },
    options,
  );
  return { keys: keySet.keys.length, attempts };
}
