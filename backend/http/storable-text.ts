/**
 * Postgres `text` and `jsonb` cannot hold U+0000, which JSON happily carries. Checking
 * at validation time turns what would be a database error (a 500) into a 400 that
 * names the field.
 */
import type { z } from "zod";

const NUL_MESSAGE = "must not contain the NUL character (\\u0000)";

export function rejectNulCharacters(value: unknown, ctx: z.core.$RefinementCtx): void {
  for (const path of nulPaths(value, [])) ctx.addIssue({ code: "custom", path, message: NUL_MESSAGE });
}

function* nulPaths(value: unknown, path: PropertyKey[]): Generator<PropertyKey[]> {
  if (typeof value === "string") {
    if (value.includes("\u0000")) yield path;
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* nulPaths(v, [...path, i]);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes("\u0000")) yield [...path, k];
      else yield* nulPaths(v, [...path, k]);
    }
  }
}
