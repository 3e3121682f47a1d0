import type { Env } from "./env.js";

declare global {
  namespace Cloudflare {
    interface Env extends import("./env.js").Env {}
  }
}
export type { Env };
