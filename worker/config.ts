/**
 * Edge configuration from wrangler vars and secrets, parsed once per isolate. A
 * malformed override falls back to the documented default and is reported once in
 * the log, because refusing every request over a typo in a weight helps nobody.
 */
import { DEFAULT_CONSUMED_TYPES, DEFAULT_EVENT_WEIGHTS, EVENT_TYPES, type EventType } from "../models/events.js";
import type { Env } from "./env.js";

export interface ScoreWeights {
  co_view: number;
  co_purchase: number;
  trending: number;
  popular: number;
}

export const DEFAULT_SCORE_WEIGHTS: ScoreWeights = { co_view: 1, co_purchase: 0.8, trending: 0.3, popular: 0.2 };

export interface EdgeConfig {
  production: boolean;
  eventWeights: Record<EventType, number>;
  consumedTypes: EventType[];
  scoreWeights: ScoreWeights;
  maxCategoryShare: number;
  corsOrigins: string[];
  retryBaseSeconds: number;
  /** Share of ranked lists whose head's ranking features are logged for the feature-drift check. */
  featureLogShare: number;
}

const cache = new WeakMap<object, EdgeConfig>();

export function edgeConfig(env: Env): EdgeConfig {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env);
    cache.set(env, config);
  }
  return config;
}

function parseConfig(env: Env): EdgeConfig {
  return {
    production: env.ENVIRONMENT === "production",
    eventWeights: { ...DEFAULT_EVENT_WEIGHTS, ...numberRecord("EVENT_WEIGHTS", env.EVENT_WEIGHTS, EVENT_TYPES) },
    consumedTypes: eventTypeList("CONSUMED_EVENT_TYPES", env.CONSUMED_EVENT_TYPES) ?? [...DEFAULT_CONSUMED_TYPES],
    scoreWeights: { ...DEFAULT_SCORE_WEIGHTS, ...numberRecord("SCORE_WEIGHTS", env.SCORE_WEIGHTS, Object.keys(DEFAULT_SCORE_WEIGHTS)) },
    maxCategoryShare: numberIn("MAX_CATEGORY_SHARE", env.MAX_CATEGORY_SHARE, 0.6, 0.05, 1),
    corsOrigins: (env.CORS_ORIGINS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    retryBaseSeconds: numberIn("RETRY_BASE_SECONDS", env.RETRY_BASE_SECONDS, 2, 0, 300),
    featureLogShare: numberIn("FEATURE_LOG_SHARE", env.FEATURE_LOG_SHARE, 0.1, 0, 1),
  };
}

function warn(name: string, raw: string, expected: string): void {
  console.warn(JSON.stringify({ level: "warn", msg: `ignoring ${name}`, value: raw, expected }));
}

function parseJson(name: string, raw: string | undefined): unknown {
  if (!raw?.trim()) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    warn(name, raw, "JSON");
    return undefined;
  }
}

function numberRecord(name: string, raw: string | undefined, allowed: readonly string[]): Record<string, number> {
  const parsed = parseJson(name, raw);
  if (parsed === undefined) return {};
  const ok =
    typeof parsed === "object" &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.entries(parsed).every(([k, v]) => allowed.includes(k) && typeof v === "number" && Number.isFinite(v) && v >= 0);
  if (!ok) {
    warn(name, raw ?? "", `an object of non-negative numbers with keys among ${allowed.join(", ")}`);
    return {};
  }
  return parsed as Record<string, number>;
}

function eventTypeList(name: string, raw: string | undefined): EventType[] | undefined {
  const parsed = parseJson(name, raw);
  if (parsed === undefined) return undefined;
  if (Array.isArray(parsed) && parsed.every((t) => (EVENT_TYPES as readonly unknown[]).includes(t))) {
    return parsed as EventType[];
  }
  warn(name, raw ?? "", `a JSON array of event types (${EVENT_TYPES.join(", ")})`);
  return undefined;
}

function numberIn(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (Number.isFinite(n) && n >= min && n <= max) return n;
  warn(name, raw, `a number from ${min} to ${max}`);
  return fallback;
}
