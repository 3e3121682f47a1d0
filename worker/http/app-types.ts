import type { Scope } from "../../models/api-keys.js";
import type { Env } from "../env.js";
import type { Timing } from "./server-timing.js";

/**
 * Who is calling: an API key with its scopes, or an end user (a customer's JWT, or an
 * anonymous session token from POST /v1/sessions) who may act only as `sub`.
 */
export type Principal = { kind: "key"; key_id: string; scopes: Scope[] } | { kind: "user"; sub: string; anonymous: boolean };

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    timing: Timing;
    principal: Principal;
  };
}
