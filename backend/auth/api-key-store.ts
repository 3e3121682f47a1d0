/**
 * API keys in Postgres: creation, revocation, seeding of the local development keys,
 * and the published key set the edge verifies against. Only hashes are stored.
 */
import { and, desc, eq, gt, isNull, or } from "drizzle-orm";
import { hashApiKey, SCOPES, type PublishedKey, type Scope } from "../../models/api-keys.js";
import type { Db } from "../db/client.js";
import { apiKeys, type ApiKeyRow } from "../db/schema.js";
import { generateApiKey, generateKeyId } from "./api-key-generation.js";

export interface NewApiKey {
  name: string;
  scopes: Scope[];
  environment: string;
  expiresAt?: Date | null;
  /** The API key id that asked for it; null for keys made by code (bootstrap, tests). */
  createdBy?: string | null;
}

/** Returns the plain key; it is not recoverable afterwards. */
export async function createApiKey(db: Db, input: NewApiKey): Promise<{ id: string; key: string; row: ApiKeyRow }> {
  const key = generateApiKey(input.environment);
  const id = generateKeyId();
  const rows = await db
    .insert(apiKeys)
    .values({
      id,
      name: input.name,
      keyHash: await hashApiKey(key),
      scopes: input.scopes,
      expiresAt: input.expiresAt ?? null,
      createdBy: input.createdBy ?? null,
    })
    .returning();
  return { id, key, row: rows[0]! };
}

/** Stores a key chosen by the caller (local development keys, tests). Re-activates it if present. */
export async function upsertApiKey(db: Db, input: { id: string; name: string; key: string; scopes: Scope[] }): Promise<void> {
  const keyHash = await hashApiKey(input.key);
  await db
    .insert(apiKeys)
    .values({ id: input.id, name: input.name, keyHash, scopes: input.scopes })
    .onConflictDoUpdate({
      target: apiKeys.id,
      set: { name: input.name, keyHash, scopes: input.scopes, revokedAt: null, expiresAt: null, replacedBy: null },
    });
}

export async function revokeApiKey(db: Db, id: string, at: Date = new Date()): Promise<boolean> {
  return (await revokeApiKeyRow(db, id, at)) !== null;
}

/**
 * Revokes the key and returns it; null when there is no such key. Revoking twice keeps
 * the first revocation time, so the record says when the key actually stopped working.
 */
export async function revokeApiKeyRow(db: Db, id: string, at: Date = new Date()): Promise<ApiKeyRow | null> {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning();
  return revoked[0] ?? (await getApiKey(db, id));
}

export async function getApiKey(db: Db, id: string): Promise<ApiKeyRow | null> {
  const rows = await db.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
  return rows[0] ?? null;
}

/** Every key, newest first; callers must not expose `keyHash`. */
export async function listApiKeys(db: Db, limit: number): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt), apiKeys.id).limit(limit);
}

export type KeyStatus = "active" | "expired" | "revoked";

export function keyStatus(row: Pick<ApiKeyRow, "revokedAt" | "expiresAt">, now: Date = new Date()): KeyStatus {
  if (row.revokedAt !== null) return "revoked";
  if (row.expiresAt !== null && row.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}

export class KeyRotationError extends Error {
  override readonly name = "KeyRotationError";
  constructor(
    readonly kind: "not_found" | "revoked" | "already_replaced",
    message: string,
  ) {
    super(message);
  }
}

export interface RotateApiKey {
  /** How long the old key keeps working; 0 ends it at once. */
  graceSeconds: number;
  environment: string;
  createdBy: string | null;
  /** The new key's expiry; none when absent. */
  expiresAt?: Date | null;
  now?: Date;
}

/**
 * Issues a replacement with the same name and scopes and lets the old key run out after
 * the grace period (never later than it would have anyway), in one transaction so two
 * rotations of one key cannot both succeed. A revoked key cannot be rotated (its
 * holder has lost it, or it was withdrawn on purpose), nor one already replaced (rotate
 * its replacement instead), so one key never has two successors.
 */
export async function rotateApiKey(db: Db, id: string, input: RotateApiKey): Promise<{ old: ApiKeyRow; created: { id: string; key: string; row: ApiKeyRow } }> {
  const now = input.now ?? new Date();
  return db.transaction(async (tx) => {
    const found = (await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for("update"))[0];
    if (!found) throw new KeyRotationError("not_found", `no API key "${id}"`);
    if (found.revokedAt !== null) throw new KeyRotationError("revoked", `API key "${id}" is revoked; create a new key instead`);
    if (found.replacedBy !== null) {
      throw new KeyRotationError("already_replaced", `API key "${id}" was already rotated; rotate its replacement "${found.replacedBy}"`);
    }
    const created = await createApiKey(tx, {
      name: found.name,
      scopes: knownScopes(found.scopes),
      environment: input.environment,
      expiresAt: input.expiresAt ?? null,
      createdBy: input.createdBy,
    });
    const graceEnd = new Date(now.getTime() + input.graceSeconds * 1000);
    const expiresAt = found.expiresAt !== null && found.expiresAt < graceEnd ? found.expiresAt : graceEnd;
    const old = await tx.update(apiKeys).set({ expiresAt, replacedBy: created.id }).where(eq(apiKeys.id, id)).returning();
    return { old: old[0]!, created };
  });
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
    // What a browser or app needs, plus bulk lists for local email/push experiments.
    const scopes: Scope[] = ["events:write", "recs:read", "recs:bulk"];
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
