/** Query parameters shared by list endpoints. */
import { z } from "@hono/zod-openapi";

/** `?limit=`: an integer in [1, max]; one message for every way it can be wrong. */
export function limitParam(max: number, fallback: number) {
  const message = `must be an integer between 1 and ${max}`;
  return z.coerce
    .number({ message })
    .int({ message })
    .min(1, { message })
    .max(max, { message })
    .default(fallback)
    .openapi({ example: fallback });
}
