/**
 * The app's last line: every thrown error and every unknown route becomes the JSON
 * error shape. Anything that is not an ApiError or an HTTPException is a bug or an
 * unavailable dependency, logged with its stack and answered without internals.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { describeError, errorCode } from "../describe-error.js";
import type { Logger } from "../logger.js";
import { ApiError, errorBody } from "./api-error.js";

export function notFound(): NotFoundHandler {
  return (c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`, "path"), 404);
}

export function errorHandler(logger: Logger): ErrorHandler {
  return (error, c) => {
    if (error instanceof ApiError) return renderApiError(c, error);
    if (error instanceof HTTPException) return renderApiError(c, fromHttpException(error));
    logger.error("unhandled error", { error: describeError(error), stack: error.stack, request_id: c.get("requestId") });
    if (isUnavailable(error)) return c.json(errorBody("unavailable", "a dependency is unavailable; retry later"), 503);
    return c.json(errorBody("internal", "internal error"), 500);
  };
}

function renderApiError(c: Context, error: ApiError): Response {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json(error.toBody(), error.status);
}

/** Hono's own exceptions: malformed JSON (400) from the validator, 415 from zod-openapi's media-type gate. */
function fromHttpException(error: HTTPException): ApiError {
  const status = error.status as ContentfulStatusCode;
  if (status === 400 && /json/i.test(error.message)) {
    return new ApiError(400, "malformed_json", "request body is not valid JSON", "body");
  }
  if (status === 415) return new ApiError(415, "unsupported_media_type", "request body must be application/json", "content-type");
  if (status === 413) return new ApiError(413, "payload_too_large", "request body is too large", "body");
  return new ApiError(status, status >= 500 ? "internal" : "bad_request", error.message || "bad request");
}

/**
 * Connection failures say "try again", not "we are broken": refused or reset
 * connections, and Postgres shutting down (57P01, 57P03) or out of connections (53300).
 */
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "57P01", "57P03", "53300"]);

function isUnavailable(error: Error): boolean {
  const code = errorCode(error);
  return code !== undefined && UNAVAILABLE_CODES.has(code);
}
