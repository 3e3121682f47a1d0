/**
 * The edge's user-id hash key (USER_ID_HASH_KEY secret; a development default outside
 * production). The backend reads the same secret, so tombstones and log hashes agree.
 */
import { hashUserId, resolveUserIdHashKey } from "../../models/user-hash.js";
import type { Env } from "../env.js";

export function userHashKey(env: Env): string {
  return resolveUserIdHashKey(env.USER_ID_HASH_KEY, env.ENVIRONMENT === "production");
}

export function hashUser(env: Env, userId: string): Promise<string> {
  return hashUserId(userId, userHashKey(env));
}
