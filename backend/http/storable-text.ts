/**
 * Postgres `text` and `jsonb` cannot hold U+0000, which JSON happily carries. Checking
 * at validation time turns what would be a database error (a 500) into a 400 that
 * names the field.
 */
import type { z } from "zod";

export const NUL_MESSAGE = "must not contain the NUL character (\\u0000)";

/** For single strings such as query parameters. */
export const hasNoNul = (value: string): boolean => !value.includes("\u0000");

export function rejectNulCharacters(value: unknown, ctx: z.core.$RefinementCtx): void {
  for (const path of nulPaths(value)) ctx.addIssue({ code: "custom", path, message: NUL_MESSAGE });
}

/**
 * Depth-first in document order (children pushed in reverse), iterative so a deeply
 * nested attribute object cannot exhaust the stack.
 */
function nulPaths(root: unknown): PropertyKey[][] {
  const found: PropertyKey[][] = [];
  const stack: Array<[unknown, PropertyKey[]]> = [[root, []]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === "string") {
      if (value.includes("\u0000")) found.push(path);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], [...path, i]]);
    } else if (value !== null && typeof value === "object") {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!;
        if (k.includes("\u0000")) found.push([...path, k]);
        else stack.push([v, [...path, k]]);
      }
    }
  }
  return found;
}
