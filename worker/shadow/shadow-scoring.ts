/**
 * Shadow scoring: after a sampled "for you" answer has gone out, the shadow version
 * builds its list for the same request in the background (waitUntil), and the list goes
 * on the queue as a shadow list. Nothing about the answer changes — not its items, its
 * latency or its experiment — and the shadow list is never attributed to anyone.
 *
 * The shadow run reads the same session and signals the answer did, a moment later; a
 * click arriving in between could differ the two inputs, which is noise, not bias.
 */
import type { ShadowList } from "../../models/events.js";
import { inShadowSample } from "../../models/shadow.js";
import { edgeConfig } from "../config.js";
import type { Env } from "../env.js";
import { Timing } from "../http/server-timing.js";
import { sendAll } from "../queue/messages.js";
import { recommendForUser, type RecsRequest, type RecsResult } from "../recommend/recommend-for-user.js";
import { shadowConfig } from "./shadow-config.js";

export interface ShadowInput {
  env: Env;
  requestId: string;
  request: RecsRequest;
  served: RecsResult;
  /** QA overrides are debugging, not traffic. */
  forced: boolean;
  background: (p: Promise<unknown>) => void;
}

export async function scheduleShadow(input: ShadowInput): Promise<void> {
  const config = await shadowConfig(input.env);
  if (!config || input.forced || input.served.model_version === config.version) return;
  if (!inShadowSample(input.requestId, config.sample_percent)) return;
  try {
    await shadowRun(input, config.version);
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", msg: "shadow scoring failed", error: String(err) }));
  }
}

async function shadowRun(input: ShadowInput, version: string): Promise<void> {
  const started = performance.now();
  const request: RecsRequest = { ...input.request, experiment: null, modelVersion: version };
  const result = await recommendForUser(input.env, edgeConfig(input.env), new Timing(), request, Date.now(), input.background);
  // The version could not be loaded here (yet): the list came from another one and says nothing about the shadow.
  if (result.model_version !== version) return;
  const list: ShadowList = {
    request_id: input.requestId,
    user_id: input.request.userId,
    model_version: version,
    items: result.items.map((i) => i.item_id),
    latency_ms: Math.round(performance.now() - started),
    ts: Date.now(),
  };
  await sendAll(input.env.EVENTS_QUEUE, [{ kind: "shadow", shadow: [list] }]);
}
