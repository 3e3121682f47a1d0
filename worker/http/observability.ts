/**
 * Request id, stage timings and one structured JSON log line per request. Runs first,
 * so even a rejected request gets an `X-Request-Id` and a log line. User ids in the path
 * are logged as their keyed hash (models/redact-user-path.ts).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-types.js";
import { redactUserPath } from "../../models/redact-user-path.js";
import { userHashKey } from "../privacy/user-hash-key.js";
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
        path: await loggedPath(c.req.path, c.env),
        status: c.res.status,
        ms: Math.round(total * 10) / 10,
        stages: timing.toJSON(),
      }),
    );
  };
}

/** The path with any user id replaced by its keyed hash: request logs never hold raw user ids. */
async function loggedPath(path: string, env: AppEnv["Bindings"]): Promise<string> {
  try {
    return await redactUserPath(path, userHashKey(env));
  } catch {
    // No hash key (production misconfiguration): drop the path rather than log an id.
    return "[redacted]";
  }
}
