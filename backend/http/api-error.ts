import { z } from "@hono/zod-openapi";

export { ApiError, errorBody, type ErrorBody } from "../../models/api-error.js";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_request" }),
      message: z.string().openapi({ example: "items.0.title: must not be empty" }),
      field: z.string().optional().openapi({ example: "items.0.title" }),
    }),
  })
  .openapi("Error");

/** OpenAPI response entries for the error statuses a route can answer. */
export function errorResponses<S extends number>(...statuses: S[]) {
  const descriptions: Record<number, string> = {
    400: "Invalid input; `field` names the offending field",
    401: "Missing or invalid credentials",
    403: "The key lacks the required scope",
    404: "Not found",
    413: "Body too large",
    415: "Body is not application/json",
    503: "A dependency is unavailable",
  };
  return Object.fromEntries(
    statuses.map((s) => [s, { description: descriptions[s] ?? "Error", content: { "application/json": { schema: ErrorSchema } } }]),
  ) as Record<S, { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }>;
}
