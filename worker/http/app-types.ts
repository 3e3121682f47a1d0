import type { Scope } from "../../models/api-keys.js";
import type { Env } from "../env.js";
import type { Timing } from "./server-timing.js";

export interface Principal {
  key_id: string;
  scopes: Scope[];
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    timing: Timing;
    principal: Principal;
  };
}
