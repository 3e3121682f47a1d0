/**
 * Shadow rollout: a published model version scores a sample of live "for you" requests
 * next to the version that serves them. Its lists are logged for comparison and never
 * served, so a new model meets real traffic without any user seeing it.
 *
 * The backend writes the configuration to KV (SHADOW_KV_KEY) through the edge's admin
 * API; the edge samples requests by a hash of the request id, so the share is exact in
 * expectation and independent of users (a shadow compares lists, not user outcomes).
 */
import { z } from "zod";
import { bucketOf } from "./experiments/assignment.js";
import { ModelVersionSchema } from "./model-manifest.js";

export const SHADOW_KV_KEY = "model:shadow";
export const DEFAULT_SHADOW_SAMPLE_PERCENT = 10;

export const ShadowConfigSchema = z.strictObject({
  version: ModelVersionSchema,
  sample_percent: z.number().int().min(1).max(100),
});
export type ShadowConfig = z.infer<typeof ShadowConfigSchema>;

const SHADOW_SALT = "#shadow";

/** Whether this request is in the shadow's sample (bucketOf is 0..9,999). */
export function inShadowSample(requestId: string, samplePercent: number): boolean {
  return bucketOf(requestId, SHADOW_SALT) < samplePercent * 100;
}
