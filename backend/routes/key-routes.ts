/**
 * API key management (scope `admin`): create, list, inspect, rotate and revoke keys.
 *
 * Every change is published to the edge before the answer, so the edge stops (or
 * starts) accepting a key within its 30 s cache TTL. If the edge cannot be reached the
 * change still stands — Postgres is the system of record and the backend verifies
 * against it at once — and the answer says `publication.status: "pending"`; the
 * once-a-minute publication carries it to the edge later.
 *
 * A key cannot revoke itself: the caller would lose access in the middle of what it is
 * doing, and the last admin key could be withdrawn by accident, leaving no way in but
 * the database. Retire one's own key by rotating it (grace 0), or revoke it with another
 * admin key.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { audit } from "../audit/audit-trail.js";
import { createApiKey, getApiKey, KeyRotationError, listApiKeys, revokeApiKeyRow, rotateApiKey } from "../auth/api-key-store.js";
import type { ApiKeyVerifier } from "../auth/api-key-verifier.js";
import type { KeySetPublisher } from "../auth/key-set-publisher.js";
import type { RequireScope } from "../auth/require-scope.js";
import type { Db } from "../db/client.js";
import { ApiError, errorResponses, ErrorSchema } from "../http/api-error.js";
import type { AppEnv } from "../http/app-env.js";
import { BEARER_SECURITY, openApiApp } from "../http/openapi-app.js";
import {
  DEFAULT_GRACE_SECONDS,
  KeyChangedSchema,
  KeyCreatedSchema,
  KeyCreateSchema,
  KeyListQuerySchema,
  KeyListSchema,
  KeyParamsSchema,
  KeyRotatedSchema,
  KeyRotateSchema,
  ApiKeySchema,
  toKeyJson,
  toPublicationJson,
} from "./key-schemas.js";

export interface KeyRouteDeps {
  db: Db;
  requireScope: RequireScope;
  publisher: KeySetPublisher;
  /** Its cache is dropped after a change, so the backend itself applies it at once. */
  verifier: Pick<ApiKeyVerifier, "clear">;
  /** Decides the key prefix (`rk_live_` in production, `rk_local_` in development). */
  environment: string;
}

const json = <T>(schema: T) => ({ "application/json": { schema } });
const TAGS = ["keys"];
const BASE = "/api/v1/keys";

export function keyRoutes(deps: KeyRouteDeps): OpenAPIHono<AppEnv> {
  const app = openApiApp();

  /** After every change: the backend's cache first (immediate), then the edge. */
  const propagate = async () => {
    deps.verifier.clear();
    return toPublicationJson(await deps.publisher.publishNow());
  };

  app.openapi(
    createRoute({
      method: "post",
      path: BASE,
      summary: "Create an API key",
      description:
        "Answers with the key itself, which is shown only this once (only its sha256 is stored). The new key set is " +
        "published to the edge before the answer; `publication` says whether that worked.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { body: { required: true, content: json(KeyCreateSchema) } },
      responses: { 201: { description: "Created", content: json(KeyCreatedSchema) }, ...errorResponses(400, 401, 403, 415) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const created = await createApiKey(deps.db, {
        name: body.name,
        scopes: body.scopes,
        environment: deps.environment,
        expiresAt: body.expires_at !== undefined ? new Date(body.expires_at) : null,
        createdBy: c.get("apiKeyId") ?? null,
      });
      await audit(c, "key.create", created.id, { name: body.name, scopes: body.scopes, expires_at: body.expires_at ?? null });
      const publication = await propagate();
      return c.json({ ...toKeyJson(created.row), key: created.key, publication }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: BASE,
      summary: "API keys, newest first (never the keys or their hashes)",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { query: KeyListQuerySchema },
      responses: { 200: { description: "Keys", content: json(KeyListSchema) }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { limit } = c.req.valid("query");
      const now = new Date();
      return c.json({ keys: (await listApiKeys(deps.db, limit)).map((row) => toKeyJson(row, now)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: `${BASE}/{id}`,
      summary: "One API key (never the key or its hash)",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { params: KeyParamsSchema },
      responses: { 200: { description: "The key", content: json(ApiKeySchema) }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = await getApiKey(deps.db, id);
      if (!row) throw notFound(id);
      return c.json(toKeyJson(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${BASE}/{id}/rotate`,
      summary: "Replace a key with a new one (same name and scopes); the old one works until the grace period ends",
      description:
        `The old key's expiry becomes now + grace_seconds (default ${DEFAULT_GRACE_SECONDS}; 0 ends it at once), or stays ` +
        "as it was if that is sooner, and its `replaced_by` names the new key. An expired key may be rotated (that re-issues " +
        "it). 409 for a revoked key, or one already rotated (rotate its replacement instead).",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { params: KeyParamsSchema, body: { required: true, content: json(KeyRotateSchema) } },
      responses: {
        201: { description: "The new key, shown this once, and the old key's record", content: json(KeyRotatedSchema) },
        ...errorResponses(400, 401, 403, 404, 415),
        409: { description: "The key is revoked, or was already rotated", content: json(ErrorSchema) },
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const graceSeconds = body.grace_seconds ?? DEFAULT_GRACE_SECONDS;
      const { old, created } = await rotation(() =>
        rotateApiKey(deps.db, id, {
          graceSeconds,
          environment: deps.environment,
          createdBy: c.get("apiKeyId") ?? null,
          expiresAt: body.expires_at !== undefined ? new Date(body.expires_at) : null,
        }),
      );
      await audit(c, "key.rotate", id, { new_key_id: created.id, grace_seconds: graceSeconds, old_expires_at: old.expiresAt?.toISOString() ?? null });
      const publication = await propagate();
      return c.json({ ...toKeyJson(created.row), key: created.key, replaces: toKeyJson(old), publication }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: `${BASE}/{id}`,
      summary: "Revoke a key",
      description:
        "Idempotent: revoking a revoked key answers its record again (with the first revocation time). A key cannot revoke " +
        "itself (409): rotate it with grace_seconds 0 instead, or revoke it with another admin key.",
      tags: TAGS,
      security: BEARER_SECURITY,
      middleware: [deps.requireScope("admin")] as const,
      request: { params: KeyParamsSchema },
      responses: {
        200: { description: "Revoked", content: json(KeyChangedSchema) },
        ...errorResponses(400, 401, 403, 404),
        409: { description: "The key named is the one making the request", content: json(ErrorSchema) },
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (id === c.get("apiKeyId")) {
        throw new ApiError(409, "conflict", "a key cannot revoke itself: rotate it (grace_seconds 0) or use another admin key", "id");
      }
      const before = await getApiKey(deps.db, id);
      if (!before) throw notFound(id);
      const row = await revokeApiKeyRow(deps.db, id);
      if (!row) throw notFound(id);
      await audit(c, "key.revoke", id, { name: row.name, already_revoked: before.revokedAt !== null });
      const publication = await propagate();
      return c.json({ ...toKeyJson(row), publication }, 200);
    },
  );

  return app;
}

function notFound(id: string): ApiError {
  return new ApiError(404, "not_found", `no API key "${id}"`, "id");
}

async function rotation<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof KeyRotationError)) throw error;
    if (error.kind === "not_found") throw new ApiError(404, "not_found", error.message, "id");
    throw new ApiError(409, "conflict", error.message, "id");
  }
}
