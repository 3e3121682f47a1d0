/**
 * Request paths name users (/v1/recommendations/alice, /v1/users/alice/consent,
 * /api/v1/users/alice/interactions, /internal/v1/users/alice). Request logs keep the
 * path for debugging but with the user id segment replaced by its keyed hash, so logs
 * never hold a raw user id yet a user's requests can still be found (hash the id).
 */
import { hashUserId } from "./user-hash.js";

/** Path prefixes whose next segment is a user id; `bulk` is a route, not a user. */
const USER_SEGMENT = /^(\/v1\/recommendations\/|\/(?:api\/|internal\/)?v1\/users\/)([^/]+)(.*)$/;
const NOT_USERS = new Set(["bulk"]);

export async function redactUserPath(path: string, secret: string): Promise<string> {
  const m = USER_SEGMENT.exec(path);
  if (!m) return path;
  const [, prefix, segment, rest] = m as unknown as [string, string, string, string];
  if (NOT_USERS.has(segment)) return path;
  let userId: string;
  try {
    userId = decodeURIComponent(segment);
  } catch {
    // Not valid percent-encoding: still never log it raw.
    userId = segment;
  }
  return `${prefix}h:${await hashUserId(userId, secret)}${rest}`;
}
