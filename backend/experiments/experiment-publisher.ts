/**
 * Publishing the running experiments to the edge: `PUT /v1/admin/experiments` with the
 * whole `ExperimentSet` (every running experiment, `published_at`), which the edge
 * stores in KV under EXPERIMENTS_KV_KEY and assigns users from.
 *
 * The whole set each time, never a delta: the edge then holds exactly what the backend
 * committed, a lost or repeated publication heals with the next one, and a start-up
 * publication reconciles an edge whose KV outlived a database reset.
 *
 * The publisher is an interface so tests can record the sets instead of sending them
 * (test-support/experiment-stand-ins.ts).
 */
import { ExperimentSetSchema, type Experiment, type ExperimentSet } from "../../models/experiments/experiment.js";
import { sendToEdge, type RetryOptions } from "../publish/edge-admin-client.js";

export const EXPERIMENTS_ADMIN_PATH = "/v1/admin/experiments";

export interface ExperimentSetPublisher {
  /** Sends the set; throws (PublishError) when the edge did not take it. */
  publish(set: ExperimentSet, options?: RetryOptions): Promise<{ attempts: number }>;
}

/**
 * A change waits for the edge inside its transaction (see experiment-lifecycle.ts), so
 * an interactive publication retries briefly and then gives up with a 503 that changed
 * nothing; the start-up publication passes its own, patient options.
 */
export const INTERACTIVE_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 250, maxDelayMs: 1000, timeoutMs: 5000 };

export interface EdgeExperimentPublisherOptions extends RetryOptions {
  edgeUrl: string;
  edgeAdminToken: string;
}

export function createEdgeExperimentPublisher(options: EdgeExperimentPublisherOptions): ExperimentSetPublisher {
  const { edgeUrl, edgeAdminToken, ...defaults } = options;
  return {
    async publish(set, callOptions) {
      const { attempts } = await sendToEdge(
        edgeUrl,
        edgeAdminToken,
        {
          method: "PUT",
          path: EXPERIMENTS_ADMIN_PATH,
          body: JSON.stringify(set),
          contentType: "application/json",
          what: `publishing ${set.experiments.length} running experiment(s)`,
        },
        { ...INTERACTIVE_RETRY, ...defaults, ...callOptions },
      );
      return { attempts };
    },
  };
}

/**
 * The document for the edge. Parsed with the shared schema first, so a config the edge
 * would refuse fails here, loudly, rather than as a 400 from the edge.
 */
export function experimentSet(running: readonly Experiment[], now: Date = new Date()): ExperimentSet {
  return ExperimentSetSchema.parse({ experiments: running.map((e) => ({ ...e, status: "running" })), published_at: now.toISOString() });
}
