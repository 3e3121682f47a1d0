/** The rows of a raw `db.execute(sql...)`: node-postgres, PGlite and Neon all answer with `{ rows }`. */
export function resultRows<T = unknown>(result: unknown): T[] {
  const rows = (result as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) throw new Error("unexpected query result: no rows");
  return rows as T[];
}
