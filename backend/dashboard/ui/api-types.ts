/** The parts of the API's JSON the pages read (the full shapes are in /openapi.json). */

export interface MetricsRow {
  model: string;
  group: "warm" | "cold";
  k: number;
  users: number;
  recall: number | null;
  ndcg: number | null;
}

export interface ModelVersion {
  version: string;
  model_type: string;
  status: "candidate" | "champion" | "retired" | "rejected" | "failed";
  metrics: MetricsRow[];
  baseline_metrics: MetricsRow[];
  gate: { passed: boolean; reasons: string[] } | null;
  data_window: { interactions: number; users: number; items: number };
  created_at: string;
  published_at: string | null;
  promoted_at: string | null;
}

export interface ModelList {
  champion: string | null;
  models: ModelVersion[];
}

export interface TrainingJob {
  training_id: string;
  status: "queued" | "running" | "succeeded" | "failed";
  model_type: string;
  trigger: string;
  progress: number;
  message: string;
  version: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface Rate {
  rate: number;
  lower: number;
  upper: number;
}

export interface Experiment {
  id: string;
  name: string;
  status: string;
  config: { primary_metric: string; control: string; traffic_share: number; variants: Array<{ key: string; weight: number }> };
  created_at: string;
  started_at: string | null;
  stopped_at: string | null;
}

export interface ExperimentResults {
  variants: Array<{
    variant: string;
    weight: number;
    users: number;
    lists: number;
    impressions: number;
    clicks: number;
    conversions: number;
    ctr: Rate;
    conversion_rate: Rate;
  }>;
  srm: { p_value: number; mismatch: boolean };
  guardrails: { checks: Array<{ metric: string; variant: string; threshold: number; value: number | null; status: string }>; breached: boolean };
  guardrails_note: string;
  verdict: string;
}

export interface ExperimentTimeline {
  points: Array<{ at: string; variants: Array<{ variant: string; impressions: number; ctr: Rate }> }>;
}

export interface Canary {
  version: string;
  experiment_id: string;
  champion_version: string;
  traffic_percent: number;
  status: string;
  reason: string | null;
  created_at: string;
  decided_at: string | null;
}

export interface ShadowReadout {
  shadow: { version: string; champion_version: string; sample_percent: number; status: string; created_at: string };
  comparison: {
    requests: number;
    k: number;
    mean_overlap_at_k: number | null;
    served_hit_rate: number | null;
    shadow_hit_rate: number | null;
    served_latency_p95_ms: number | null;
    shadow_latency_p95_ms: number | null;
  };
}

// The backend's own types where their modules import nothing at run time.
export type { LiveSnapshot as LiveRates } from "../../metrics/live-rates.js";

export type { DataQualityReport } from "../../data-quality/data-quality.js";

export interface DriftReport {
  reference: { version: string; from: string; to: string; events: number } | null;
  current: { from: string; to: string; events: number };
  features: Array<{ feature: string; psi: number; bins: Array<{ bin: string; reference: number; current: number }> }>;
  alerts: Array<{ check: string; feature?: string; value: number; threshold: number; message: string }>;
}
