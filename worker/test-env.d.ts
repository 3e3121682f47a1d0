// Types `env` from "cloudflare:test" / "cloudflare:workers" as this worker's bindings.
import type { Env as WorkerEnv } from "./env.js";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
