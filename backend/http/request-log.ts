/**
 * One structured log line per request (method, path, status, ms, request_id) and the
 * HTTP metrics. A user id in the path is logged as its keyed hash. Runs outermost, after the request id is known.
 */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../logger.js";
import type { BackendMetrics } from "../metrics/backend-metrics.js";
import type { AuthVariables } from "../auth/require-scope.js";
import type { RequestIdVariables } from "./request-id.js";
import { redactUserPath } from "../../models/redact-user-path.js";
import { routeLabel } from "./route-label.js";

export function requestLog(
  logger: Logger,
  metrics: BackendMetrics,
  /** Key of the user-id hash: user ids in paths are logged hashed, never raw. */
  userIdHashKey: string,
): MiddlewareHandler<{ Variables: RequestIdVariables & AuthVariables }> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    const status = c.res.status;
    const route = routeLabel(c);
    metrics.observeHttp(c.req.method, route, status, ms / 1000);
    const fields = {
      method: c.req.method,
      path: await redactUserPath(c.req.path, userIdHashKey),
      route,
      status,
      ms: Math.round(ms * 10) / 10,
      request_id: c.get("requestId"),
      ...(c.get("apiKeyId") ? { key_id: c.get("apiKeyId") } : {}),
    };
    // 503 is an expected answer (readiness, a dependency down), not a bug.
    if (status >= 500 && status !== 503) logger.error("request", { ...fields, error: c.error?.message });
    else if (status === 503) logger.warn("request", fields);
    else logger.info("request", fields);
  };
}
