/**
 * One error shape for every edge route: `{ error: { code, message, field? } }`. Input
 * problems are 4xx naming the field; an unexpected fault is a 500 that says nothing
 * about internals (the request id links it to the log line).
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { ApiError, errorBody } from "../../models/api-error.js";
import type { AppEnv } from "./app-types.js";

export { ApiError, errorBody };

/** "events.3.type: must be one of …" — the first issue, with its path, is what a caller needs. */
export function describeZodError(err: ZodError, prefix = ""): { field: string; message: string } {
  const issue = err.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join(".");
  return { field: path || "body", message: issue?.message ?? "is invalid" };
}

export function validationError(err: ZodError, prefix = ""): ApiError {
  const { field, message } = describeZodError(err, prefix);
  return new ApiError(400, "invalid_request", `${field}: ${message}`, field);
}

export function onError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, err.field), err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    // Hono's own refusals (its validator's "Malformed JSON in request body", body caps)
    // are about the body; credentials refused this way name no field.
    if (status === 401) return c.json(errorBody("unauthorized", err.message || "unauthorized"), status);
    const malformed = /malformed json/i.test(err.message);
    const code = status === 413 ? "payload_too_large" : malformed ? "malformed_json" : "bad_request";
    return c.json(errorBody(code, malformed ? "request body is not valid JSON" : err.message || "bad request", "body"), status);
  }
  console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), msg: err.message, stack: err.stack }));
  return c.json(errorBody("internal", `internal error; quote request id ${c.get("requestId")}`), 500);
}

export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "Content-Type must be application/json", "content-type");
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "malformed_json", "request body is not valid JSON", "body");
  }
}
