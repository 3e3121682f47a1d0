/** Starts and stops shadow scoring at the edge (worker/routes/admin-shadow.ts). */
import type { ShadowConfig } from "../../models/shadow.js";
import { INTERACTIVE_RETRY } from "../experiments/experiment-publisher.js";
import { sendToEdge } from "../publish/edge-admin-client.js";

export const SHADOW_ADMIN_PATH = "/v1/admin/models/shadow";

export interface ShadowPublisher {
  /** The configuration to run, or null to stop; throws (PublishError) when the edge did not take it. */
  set(config: ShadowConfig | null): Promise<void>;
}

export function createEdgeShadowPublisher(options: { edgeUrl: string; edgeAdminToken: string }): ShadowPublisher {
  return {
    async set(config) {
      await sendToEdge(
        options.edgeUrl,
        options.edgeAdminToken,
        config
          ? {
              method: "PUT",
              path: SHADOW_ADMIN_PATH,
              body: JSON.stringify(config),
              contentType: "application/json",
              what: `starting the shadow of ${config.version}`,
            }
          : { method: "DELETE", path: SHADOW_ADMIN_PATH, what: "stopping the shadow" },
        INTERACTIVE_RETRY,
      );
    },
  };
}
