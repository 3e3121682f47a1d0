/**
 * The shadow rollout as the backend published it to KV (models/shadow.ts), cached per
 * isolate for a few seconds like the experiment set: a start or stop takes effect within
 * seconds for one KV read per isolate per TTL. Unreadable or invalid means "no shadow".
 */
import { SHADOW_KV_KEY, ShadowConfigSchema, type ShadowConfig } from "../../models/shadow.js";
import type { Env } from "../env.js";

export const SHADOW_TTL_MS = 5_000;

let cached: { at: number; config: ShadowConfig | null } | null = null;

export async function shadowConfig(env: Pick<Env, "CONFIG">, now = Date.now()): Promise<ShadowConfig | null> {
  if (cached && now - cached.at < SHADOW_TTL_MS) return cached.config;
  let config: ShadowConfig | null = null;
  try {
    const raw = await env.CONFIG.get(SHADOW_KV_KEY, "json");
    if (raw !== null) {
      const parsed = ShadowConfigSchema.safeParse(raw);
      if (parsed.success) config = parsed.data;
      else console.warn(JSON.stringify({ level: "warn", msg: "shadow config invalid; no shadow scoring", error: parsed.error.message }));
    }
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", msg: "shadow config unreadable", error: String(err) }));
    if (cached) return cached.config;
  }
  cached = { at: now, config };
  return config;
}

/** After a change through this isolate's admin API, and in tests. */
export function forgetShadowConfig(): void {
  cached = null;
}
