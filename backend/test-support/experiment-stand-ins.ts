/** Test helper: an experiment publisher that records the sets it is given instead of sending them. */
import type { ExperimentSet } from "../../models/experiments/experiment.js";
import type { ExperimentSetPublisher } from "../experiments/experiment-publisher.js";

export interface RecordingExperimentPublisher extends ExperimentSetPublisher {
  sets: ExperimentSet[];
  /** Makes publish throw, as an unreachable edge would. */
  failing: boolean;
}

export function recordingExperimentPublisher(): RecordingExperimentPublisher {
  const publisher: RecordingExperimentPublisher = {
    sets: [],
    failing: false,
    async publish(set) {
      if (publisher.failing) throw new Error("edge unreachable (test)");
      publisher.sets.push(set);
      return { attempts: 1 };
    },
  };
  return publisher;
}
