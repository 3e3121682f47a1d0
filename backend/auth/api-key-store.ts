/**
 * API keys in Postgres: creation, revocation, seeding of the local development keys,
 * and the published key set the edge verifies against. Only hashes are stored.
 */
import { and, eq, gt, isNull, or } from "drizzle-orm";
import { hashApiKey, SCOPES, type PublishedKey, type Scope } from "../../models/api-keys.js";
import type { Db } from "../db/client.js";
import { apiKeys, type ApiKeyRow } from "../db/schema.js";
import { generateApiKey, generateKeyId } from "./api-key-generation.js";

export interface NewApiKey {
  name: string;
  scopes: Scope[];
  environment: string;
  expiresAt?: Date | null;
}

/** Returns the plain key; it is not recoverable afterwards. */
export async function createApiKey(db: Db, input: NewApiKey): Promise<{ id: string; key: string }> {
  const key = generateApiKey(input.environment);
  const id = generateKeyId();
  await db.insert(apiKeys).values({
    id,
    name: input.name,
    keyHash: await hashApiKey(key),
    scopes: input.scopes,
    expiresAt: input.expiresAt ?? null,
  });
  return { id, key };
}

/** Stores a key chosen by the caller (local development keys, tests). Re-activates it if present. */
export async function upsertApiKey(db: Db, input: { id: string; name: string; key: string; scopes: Scope[] }): Promise<void> {
  const keyHash = await hashApiKey(input.key);
  await db
    .insert(apiKeys)
    .values({ id: input.id, name: input.name, keyHash, scopes: input.scopes })
    .onConflictDoUpdate({
      target: apiKeys.id,
      set: { name: input.name, keyHash, scopes: input.scopes, revokedAt: null, expiresAt: null },
    });
}

export async function revokeApiKey(db: Db, id: string, at: Date = new Date()): Promise<boolean> {
  const rows = await db.update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id)).returning({ id: apiKeys.id });
  return rows.length > 0;
}

export async function findApiKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRow | null> {
  const rows = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).limit(1);
  return rows[0] ?? null;
}

export interface LocalKeys {
  isProduction: boolean;
  localAdminKey: string | null;
  localClientKey: string | null;
}

export const LOCAL_ADMIN_KEY_ID = "local-admin";
export const LOCAL_CLIENT_KEY_ID = "local-client";

/** Seeds the configured development keys; never in production. Returns the ids seeded. */
export async function seedLocalKeys(db: Db, config: LocalKeys): Promise<string[]> {
  if (config.isProduction) return [];
  const seeded: string[] = [];
  if (config.localAdminKey) {
    await upsertApiKey(db, { id: LOCAL_ADMIN_KEY_ID, name: "local admin", key: config.localAdminKey, scopes: ["admin"] });
    seeded.push(LOCAL_ADMIN_KEY_ID);
  }
  if (config.localClientKey) {
    const scopes: Scope[] = ["events:write", "recs:read"];
    await upsertApiKey(db, { id: LOCAL_CLIENT_KEY_ID, name: "local client", key: config.localClientKey, scopes });
    seeded.push(LOCAL_CLIENT_KEY_ID);
  }
  return seeded;
}

/** Keys the edge should accept: not revoked, not yet expired. */
export async function listPublishableKeys(db: Db, now: Date = new Date()): Promise<PublishedKey[]> {
  const rows = await db
    .select()
    .from(apiKeys)
    .where(and(isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))))
    .orderBy(apiKeys.id);
  return rows
    .map((row) => ({
      id: row.id,
      hash: row.keyHash,
      scopes: knownScopes(row.scopes),
      expires_at: row.expiresAt ? row.expiresAt.getTime() : null,
    }))
    .filter((key) => key.scopes.length > 0);
}

/** The column is plain text[]; a scope this code does not know grants nothing. */
export function knownScopes(stored: readonly string[]): Scope[] {
  return stored.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
}
