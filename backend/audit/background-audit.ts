/**
 * Audit for work no API key asked for: trainings the schedule queues and canary
 * decisions the timer makes, recorded as the `scheduler`'s. Wrappers, so the scheduling
 * modules stay unaware of the audit log.
 */
import type { CanaryEvaluation } from "../canary/canary.js";
import type { TrainingRunner } from "../training-jobs/job-runner.js";
import type { AuditRecorder } from "./audit-trail.js";

export function auditScheduledTrainings(runner: Pick<TrainingRunner, "enqueue">, recorder: AuditRecorder): Pick<TrainingRunner, "enqueue"> {
  return {
    async enqueue(job) {
      const queued = await runner.enqueue(job);
      await recorder.record({
        actor: "scheduler",
        action: "training.request",
        target: queued.job.id,
        detail: { model_type: job.modelType, trigger: job.trigger },
      });
      return queued;
    },
  };
}

/** Only checks that decided something: "still running" every few minutes would drown the log. */
export function auditCanaryDecisions(evaluate: () => Promise<CanaryEvaluation[]>, recorder: AuditRecorder): () => Promise<CanaryEvaluation[]> {
  return async () => {
    const evaluations = await evaluate();
    const decided = evaluations.filter((e) => e.outcome !== "running");
    if (decided.length > 0) {
      const evaluated = decided.map((e) => ({ version: e.version, experiment_id: e.experimentId, outcome: e.outcome, reason: e.reason }));
      await recorder.record({ actor: "scheduler", action: "canary.evaluate", detail: { evaluated } });
    }
    return evaluations;
  };
}
