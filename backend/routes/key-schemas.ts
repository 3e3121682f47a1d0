/** Request and response schemas of the API key management API (documented in /openapi.json). */
import { z } from "@hono/zod-openapi";
import { SCOPES } from "../../models/api-keys.js";
import { keyStatus, knownScopes } from "../auth/api-key-store.js";
import type { KeyPublication } from "../auth/key-set-publisher.js";
import type { ApiKeyRow } from "../db/schema.js";
import { limitParam } from "../http/query-params.js";

/** Rotation grace is bounded so a forgotten old key cannot linger for months. */
export const MAX_GRACE_SECONDS = 30 * 86_400;
export const DEFAULT_GRACE_SECONDS = 86_400;

const SCOPE_MESSAGE = `must be one of ${SCOPES.join(", ")}`;
const EXPIRY_MESSAGE = "must be an ISO-8601 date-time with a time zone (2027-01-31T00:00:00Z) in the future";
const isoDateTime = z.iso.datetime({ offset: true });

const FutureInstant = z
  .string()
  .max(64, EXPIRY_MESSAGE)
  .refine((v) => isoDateTime.safeParse(v).success && Date.parse(v) > Date.now(), { message: EXPIRY_MESSAGE })
  .openapi({ format: "date-time", example: "2027-01-31T00:00:00Z" });

const Scopes = z
  .array(z.enum(SCOPES, { message: SCOPE_MESSAGE }))
  .min(1, "must name at least one scope")
  .max(SCOPES.length)
  .refine((s) => new Set(s).size === s.length, { message: "must not repeat a scope" })
  .openapi({ description: `Any of ${SCOPES.join(", ")}; \`admin\` implies all the others`, example: ["recs:read", "events:write"] });

export const KeyCreateSchema = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(100, "must be at most 100 characters")
      .regex(/^[^\p{Cc}]*$/u, "must not contain control characters")
      .openapi({ description: "What the key is for; shown in listings and the audit log", example: "storefront web" }),
    scopes: Scopes,
    expires_at: FutureInstant.optional().openapi({ description: "When the key stops working; never when absent" }),
  })
  .openapi("ApiKeyCreateRequest");

export const KeyRotateSchema = z
  .strictObject({
    grace_seconds: z
      .number({ message: `must be an integer between 0 and ${MAX_GRACE_SECONDS}` })
      .int(`must be an integer between 0 and ${MAX_GRACE_SECONDS}`)
      .min(0, `must be an integer between 0 and ${MAX_GRACE_SECONDS}`)
      .max(MAX_GRACE_SECONDS, `must be at most ${MAX_GRACE_SECONDS} (30 days)`)
      .optional()
      .openapi({
        description: `How long the old key keeps working (default ${DEFAULT_GRACE_SECONDS}, one day; 0 ends it at once). An earlier expiry the old key already had is kept.`,
        example: 3600,
      }),
    expires_at: FutureInstant.optional().openapi({ description: "The new key's expiry; never when absent" }),
  })
  .openapi("ApiKeyRotateRequest");

export const KeyParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64, "must be at most 64 characters")
    .regex(/^[A-Za-z0-9._:-]+$/, "must be a key id such as key_0123456789abcdef")
    .openapi({ param: { name: "id", in: "path" }, example: "key_0123456789abcdef" }),
});

export const KeyListQuerySchema = z.object({ limit: limitParam(1000, 100) });

const isoTime = () => z.string().openapi({ format: "date-time" });

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    status: z.enum(["active", "expired", "revoked"]).openapi({ description: "At the time of the answer" }),
    created_at: isoTime(),
    created_by: z.string().nullable().openapi({ description: "The key id that created it; null for seeded keys" }),
    expires_at: isoTime().nullable(),
    revoked_at: isoTime().nullable(),
    replaced_by: z.string().nullable().openapi({ description: "Set by rotation: the key that replaces this one" }),
  })
  .openapi("ApiKey");

export const PublicationSchema = z
  .object({
    status: z.enum(["published", "pending"]).openapi({
      description:
        "`published`: the edge has the new key set (it applies within its 30 s cache). `pending`: the edge could not be " +
        "reached; the change stands and the backend publishes again every minute",
    }),
    reason: z.string().optional(),
  })
  .openapi("KeyPublication");

export const KeyListSchema = z.object({ keys: z.array(ApiKeySchema) }).openapi("ApiKeyList");

export const KeyChangedSchema = ApiKeySchema.extend({ publication: PublicationSchema }).openapi("ApiKeyChanged");

export const KeyCreatedSchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The key itself. Shown this once: only its hash is stored", example: "rk_live_…" }),
  publication: PublicationSchema,
}).openapi("ApiKeyCreated");

export const KeyRotatedSchema = KeyCreatedSchema.extend({
  replaces: ApiKeySchema.openapi({ description: "The old key, now with its shortened expiry and `replaced_by`" }),
}).openapi("ApiKeyRotated");

export function toKeyJson(row: ApiKeyRow, now: Date = new Date()): z.infer<typeof ApiKeySchema> {
  return {
    id: row.id,
    name: row.name,
    scopes: knownScopes(row.scopes),
    status: keyStatus(row, now),
    created_at: row.createdAt.toISOString(),
    created_by: row.createdBy,
    expires_at: row.expiresAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
    replaced_by: row.replacedBy,
  };
}

export function toPublicationJson(p: KeyPublication): z.infer<typeof PublicationSchema> {
  return p.status === "published" ? { status: "published" } : { status: "pending", reason: p.reason };
}
