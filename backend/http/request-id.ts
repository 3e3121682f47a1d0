/**
 * X-Request-Id on every response: a caller's id is echoed when it is short and plain
 * (so it can be searched for in logs), otherwise a fresh UUID is used.
 */
import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";

export interface RequestIdVariables {
  requestId: string;
}

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(): MiddlewareHandler<{ Variables: RequestIdVariables }> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const id = incoming && SANE_ID.test(incoming) ? incoming : randomUUID();
    c.set("requestId", id);
    await next();
    c.header("X-Request-Id", id);
  };
}
