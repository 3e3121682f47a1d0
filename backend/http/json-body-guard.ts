/**
 * Before any route sees a body: writes must be JSON (415 otherwise) and no larger
 * than the cap (413), whether or not the client sent Content-Length.
 */
import type { MiddlewareHandler } from "hono";
import { bodyCap } from "../../models/body-cap.js";
import { ApiError } from "./api-error.js";

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;.*)?$/i;
const WRITE_METHODS = new Set(["POST", "PUT", "PATCH"]);

export function requireJsonBody(): MiddlewareHandler {
  return async (c, next) => {
    if (WRITE_METHODS.has(c.req.method)) {
      const type = c.req.header("content-type");
      if (!type || !JSON_TYPE.test(type)) {
        throw new ApiError(415, "unsupported_media_type", "request body must be application/json", "content-type");
      }
    }
    await next();
  };
}

/** 413 over the cap, after reading the body to its end so the client can read the answer. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyCap({ maxBytes });
}
