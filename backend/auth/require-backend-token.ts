/**
 * Guards the internal endpoints the edge calls (ingest, erase) with the shared
 * BACKEND_TOKEN. Compared in constant time on sha256 digests, so neither the content
 * nor the length of the token leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../http/api-error.js";
import { bearerToken } from "./bearer.js";

/**
 * An empty expected token leaves the endpoints open; config only allows that outside
 * production, so local development works without sharing a secret with the edge.
 */
export function requireBackendToken(expected: string): MiddlewareHandler {
  const expectedDigest = digest(expected);
  return async (c, next) => {
    if (expected !== "") {
      const presented = bearerToken(c.req.header("authorization"));
      if (presented === null || !timingSafeEqual(digest(presented), expectedDigest)) {
        throw new ApiError(401, "unauthorized", "missing or wrong service token");
      }
    }
    await next();
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
