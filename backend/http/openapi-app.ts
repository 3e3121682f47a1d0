/** Every OpenAPIHono in the backend is made here, so all of them shape validation errors the same way. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env.js";
import { validationHook } from "./validation-hook.js";

export function openApiApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

export const BEARER_SECURITY = [{ bearer: [] }];
