/** The Hono environment shared by the backend's app and route modules. */
import type { AuditVariables } from "../audit/audit-trail.js";
import type { AuthVariables } from "../auth/require-scope.js";
import type { RequestIdVariables } from "./request-id.js";

export interface AppEnv {
  Variables: RequestIdVariables & AuthVariables & AuditVariables;
}
