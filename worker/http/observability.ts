/**
 * Request id, stage timings and one structured JSON log line per request. Runs first,
 * so even a rejected request gets an `X-Request-Id` and a log line.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-types.js";
import { Timing } from "./server-timing.js";

const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function observability(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && SANE_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("timing", new Timing());
    await next();
    c.res.headers.set("X-Request-Id", requestId);
    const timing = c.get("timing");
    const total = performance.now() - start;
    c.res.headers.set("Server-Timing", [timing.header(), `total;dur=${total.toFixed(1)}`].filter(Boolean).join(", "));
    console.log(
      JSON.stringify({
        level: c.res.status >= 500 ? "error" : "info",
        request_id: requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(total * 10) / 10,
        stages: timing.toJSON(),
      }),
    );
  };
}
