/**
 * The running experiments as the backend published them to KV (`experiments:active`),
 * cached per isolate for a few seconds: a start or stop takes effect within seconds and
 * costs one KV read per isolate per TTL, not one per request. An unreadable or invalid
 * document means "no experiments" (and is logged), never a failed request.
 */
import { EXPERIMENTS_KV_KEY, ExperimentSetSchema, type Experiment } from "../../models/experiments/experiment.js";
import type { Env } from "../env.js";

export const EXPERIMENTS_TTL_MS = 5_000;

let cached: { at: number; experiments: Experiment[] } | null = null;

export async function runningExperiments(env: Pick<Env, "CONFIG">, now = Date.now()): Promise<Experiment[]> {
  if (cached && now - cached.at < EXPERIMENTS_TTL_MS) return cached.experiments;
  let experiments: Experiment[] = [];
  try {
    const raw = await env.CONFIG.get(EXPERIMENTS_KV_KEY, "json");
    if (raw !== null) {
      const parsed = ExperimentSetSchema.safeParse(raw);
      if (parsed.success) experiments = parsed.data.experiments.filter((e) => e.status === "running");
      else console.warn(JSON.stringify({ level: "warn", msg: "experiment set invalid; serving without experiments", error: parsed.error.message }));
    }
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", msg: "experiment set unreadable", error: String(err) }));
    if (cached) return cached.experiments;
  }
  cached = { at: now, experiments };
  return experiments;
}

/** After a publish in this isolate, and in tests. */
export function forgetExperiments(): void {
  cached = null;
}
