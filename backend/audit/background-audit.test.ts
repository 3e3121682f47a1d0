import { describe, expect, it } from "vitest";
import type { CanaryEvaluation } from "../canary/canary.js";
import type { TrainingJobRow } from "../db/schema.js";
import type { AuditEntry } from "./audit-log.js";
import type { AuditRecorder } from "./audit-trail.js";
import { auditCanaryDecisions, auditScheduledTrainings } from "./background-audit.js";

function recorder(): AuditRecorder & { entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  return { entries, record: async (e) => (entries.push(e), true), userTarget: async (id) => `user:${id.length}` };
}

const evaluation = (version: string, outcome: CanaryEvaluation["outcome"]): CanaryEvaluation => ({
  version,
  experimentId: `exp-${version}`,
  outcome,
  reason: `${outcome} because`,
});

describe("auditCanaryDecisions", () => {
  it("records the timer's decisions as the scheduler's, and nothing when every canary is still running", async () => {
    const audit = recorder();
    let next: CanaryEvaluation[] = [evaluation("v1", "running")];
    const evaluate = auditCanaryDecisions(async () => next, audit);
    expect(await evaluate()).toEqual(next);
    expect(audit.entries).toEqual([]);

    next = [evaluation("v1", "running"), evaluation("v2", "rolled_back"), evaluation("v3", "promoted")];
    expect(await evaluate()).toEqual(next);
    expect(audit.entries).toEqual([
      {
        actor: "scheduler",
        action: "canary.evaluate",
        detail: {
          evaluated: [
            { version: "v2", experiment_id: "exp-v2", outcome: "rolled_back", reason: "rolled_back because" },
            { version: "v3", experiment_id: "exp-v3", outcome: "promoted", reason: "promoted because" },
          ],
        },
      },
    ]);
  });
});

describe("auditScheduledTrainings", () => {
  it("records each queued training as the scheduler's, with its trigger", async () => {
    const audit = recorder();
    const runner = { enqueue: async () => ({ job: { id: "job-1" } as TrainingJobRow, position: 0 }) };
    const queued = await auditScheduledTrainings(runner, audit).enqueue({ modelType: "pipeline", trigger: "schedule", window: {} });
    expect(queued.job.id).toBe("job-1");
    expect(audit.entries).toEqual([
      { actor: "scheduler", action: "training.request", target: "job-1", detail: { model_type: "pipeline", trigger: "schedule" } },
    ]);
  });
});
