/** Reads `Authorization: Bearer <token>`; anything else counts as no credentials. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer[ ]+(\S{1,512})\s*$/i.exec(header);
  return match?.[1] ?? null;
}
