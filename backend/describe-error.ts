/**
 * A one-line description of an error for logs and health output. fetch() and drizzle
 * wrap the useful part ("ECONNREFUSED", the Postgres message) in `cause`, which a bare
 * `error.message` ("fetch failed", "Failed query: …") hides.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : null;
  const message = error.message.split("\n")[0] ?? error.message;
  return detail && !message.includes(detail) ? `${message} (${detail})` : message;
}

/** The errno-style code of an error or of its cause, if any. */
export function errorCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === "string") return own;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === "string" ? cause : undefined;
}
