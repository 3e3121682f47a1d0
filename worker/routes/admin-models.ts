/**
 * Backend-to-edge model publishing, authenticated with EDGE_ADMIN_TOKEN:
 *   PUT /v1/admin/models/{version}/files/{name}   one artifact, raw bytes + X-Content-Sha256
 *   PUT /v1/admin/models/{version}/manifest       the manifest, once every file it lists is in R2
 *   PUT /v1/admin/models/active                   trial-load a version here, then flip the KV pointer
 *   GET /v1/admin/models/active                   the pointer and what this isolate serves
 * Every step re-checks checksums against what R2 actually holds, so the pointer can only
 * ever name a version that loaded and ran in at least one isolate.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  ACTIVE_POINTER_KEY,
  ActivePointerSchema,
  ArtifactNameSchema,
  MANIFEST_FILE,
  ManifestSchema,
  ModelVersionSchema,
  Sha256Schema,
  artifactKey,
  type ActivePointer,
} from "../../models/model-manifest.js";
import { sha256OfBytes } from "../../models/hash.js";
import type { AppEnv } from "../http/app-types.js";
import { requireAdminToken } from "../http/auth.js";
import { ApiError, readJson, validationError } from "../http/errors.js";
import { ErrorSchema, jsonContent } from "../http/schemas.js";
import { activateLoaded, discardLoaded, loadedModelInfo, ModelLoadError, trialLoad, type LoadedModel } from "../models/active-model.js";
import { hashStoredObject, storeArtifact } from "../models/artifact-store.js";
import { manifestProblem } from "../models/manifest-rules.js";
import { checkManifestSignature } from "../models/signing-keys.js";

/** Largest artifact accepted; app.ts lets this route's body past the global cap, and the route enforces this instead. */
export const MAX_ARTIFACT_BYTES = 128 * 1024 * 1024;
const ARTIFACT_UPLOAD_PATH = /^\/v1\/admin\/models\/[^/]+\/files\/[^/]+$/;

/** The artifact upload streams its body to R2 and checks its own (larger) cap after authentication. */
export function isArtifactUpload(path: string): boolean {
  return ARTIFACT_UPLOAD_PATH.test(path);
}

const VersionParam = z.object({ version: ModelVersionSchema.openapi({ param: { name: "version", in: "path" }, example: "ials-2026-11-30" }) });
const FileParams = VersionParam.extend({ name: ArtifactNameSchema.openapi({ param: { name: "name", in: "path" }, example: "retrieval.onnx" }) });
const ActivateRequest = z.strictObject({ version: ModelVersionSchema }).openapi("ActivateModelRequest");
const PointerResponse = ActivePointerSchema.openapi("ActiveModelPointer");
const LoadedInfo = z
  .object({ version: z.string(), manifest_sha256: z.string(), retrieval_path: z.string(), loaded_at: z.string(), memory_bytes: z.number().int() })
  .openapi("LoadedModel");

const adminErrors = {
  400: jsonContent(ErrorSchema, "Invalid input; `field` names the problem"),
  401: jsonContent(ErrorSchema, "Missing or wrong admin token"),
} as const;
const adminRoute = { tags: ["admin"], security: [{ adminToken: [] }] };

const uploadRoute = createRoute({
  ...adminRoute,
  method: "put",
  path: "/v1/admin/models/{version}/files/{name}",
  summary: "Upload one model artifact (raw bytes, at most 128 MiB)",
  request: {
    params: FileParams,
    headers: z.object({ "x-content-sha256": Sha256Schema.openapi({ description: "sha256 of the body; the upload is refused if the bytes differ" }) }),
    body: { content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } }, required: true },
  },
  responses: {
    201: jsonContent(z.object({ version: z.string(), name: z.string(), sha256: z.string(), bytes: z.number().int() }).openapi("StoredArtifact"), "Stored"),
    ...adminErrors,
    409: jsonContent(ErrorSchema, "The version is active and this would change one of its files"),
  },
});

const manifestRoute = createRoute({
  ...adminRoute,
  method: "put",
  path: "/v1/admin/models/{version}/manifest",
  summary: "Publish a version's manifest once every file it lists is uploaded",
  request: { params: VersionParam, body: { content: { "application/json": { schema: ManifestSchema.openapi("ModelManifest") } }, required: true } },
  responses: {
    201: jsonContent(z.object({ version: z.string(), manifest_sha256: z.string() }).openapi("StoredManifest"), "Stored"),
    ...adminErrors,
    400: jsonContent(
      ErrorSchema,
      "Invalid manifest (`field` names the problem), or its signature refused: `manifest_unsigned`, `signature_unknown_key` (signed with a key this edge does not hold, e.g. a retired one), `signature_mismatch` (changed after signing)",
    ),
    409: jsonContent(ErrorSchema, "A listed file is missing or differs in size or sha256 (`field` names it), or the version is active"),
  },
});

const activateRoute = createRoute({
  ...adminRoute,
  method: "put",
  path: "/v1/admin/models/active",
  summary: "Make a version active after loading and running it in this isolate",
  request: { body: { content: { "application/json": { schema: ActivateRequest } }, required: true } },
  responses: {
    200: jsonContent(PointerResponse, "The pointer now in KV"),
    ...adminErrors,
    404: jsonContent(ErrorSchema, "The version has no manifest"),
    422: jsonContent(ErrorSchema, "The version does not load or run; the pointer is unchanged"),
  },
});

const activeRoute = createRoute({
  ...adminRoute,
  method: "get",
  path: "/v1/admin/models/active",
  summary: "The active pointer and the version this isolate serves",
  responses: {
    200: jsonContent(z.object({ pointer: PointerResponse.nullable(), loaded: LoadedInfo.nullable() }).openapi("ActiveModel"), "Pointer and loaded version"),
    ...adminErrors,
  },
});

function parse<T>(schema: z.ZodType<T>, value: unknown, field?: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, field);
  return parsed.data;
}

async function readPointer(c: Context<AppEnv>): Promise<ActivePointer | null> {
  const parsed = ActivePointerSchema.safeParse(await c.env.CONFIG.get(ACTIVE_POINTER_KEY, "json").catch(() => null));
  return parsed.success ? parsed.data : null;
}

/** Files and manifest of the active version are immutable: every isolate's cold start verifies against them. */
function activeConflict(version: string, what: string): ApiError {
  return new ApiError(409, "version_active", `version: ${version} is active, so ${what} cannot change; publish a new version instead`, "version");
}

export function registerAdminModelRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "The edge's EDGE_ADMIN_TOKEN secret (backend-to-edge calls).",
  });
  for (const route of [uploadRoute, manifestRoute, activateRoute, activeRoute]) app.openAPIRegistry.registerPath(route);

  app.put(uploadRoute.path.replace("{version}", ":version").replace("{name}", ":name"), requireAdminToken(), async (c) => {
    const { version, name } = parse(FileParams, c.req.param());
    if (name === MANIFEST_FILE) throw new ApiError(400, "invalid_request", `name: use PUT /v1/admin/models/${version}/manifest for ${MANIFEST_FILE}`, "name");
    const sha256 = parse(Sha256Schema, (c.req.header("x-content-sha256") ?? "").trim().toLowerCase(), "x-content-sha256");
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/octet-stream\b/i.test(type)) throw new ApiError(415, "unsupported_media_type", "Content-Type must be application/octet-stream");
    const declared = c.req.header("content-length");
    if (declared === undefined || !/^\d+$/.test(declared))
      throw new ApiError(411, "length_required", "send Content-Length: the upload streams to storage", "content-length");
    const bytes = Number(declared);
    if (bytes > MAX_ARTIFACT_BYTES) throw new ApiError(413, "payload_too_large", `an artifact may be at most ${MAX_ARTIFACT_BYTES} bytes`, "body");
    const key = artifactKey(version, name);
    if ((await c.env.ARTIFACTS.head(key))?.customMetadata?.sha256 !== sha256 && (await readPointer(c))?.version === version) {
      throw activeConflict(version, "its files");
    }
    const outcome = await storeArtifact(c.env.ARTIFACTS, key, c.req.raw.body, bytes, sha256);
    if (!outcome.ok) {
      throw new ApiError(
        400,
        "checksum_mismatch",
        `x-content-sha256: the body's sha256 is ${outcome.actualSha256}, not ${sha256}; nothing was stored`,
        "x-content-sha256",
      );
    }
    return c.json({ version, name, sha256, bytes }, 201);
  });

  app.put(manifestRoute.path.replace("{version}", ":version"), requireAdminToken(), async (c) => {
    const { version } = parse(VersionParam, c.req.param());
    const manifest = parse(ManifestSchema, await readJson(c));
    if (manifest.version !== version)
      throw new ApiError(400, "invalid_request", `version: the manifest is for ${manifest.version}, the path names ${version}`, "version");
    const problem = manifestProblem(manifest);
    if (problem) throw new ApiError(400, "invalid_request", `${problem.field}: ${problem.message}`, problem.field);
    const signature = await checkManifestSignature(manifest, c.env);
    if (!signature.ok) throw new ApiError(400, signature.code, `signature: ${signature.message}; nothing was stored`, "signature");
    const stored = await Promise.all(manifest.files.map((f) => hashStoredObject(c.env.ARTIFACTS, artifactKey(version, f.name))));
    manifest.files.forEach((f, i) => {
      const found = stored[i];
      const field = `files.${i}`;
      if (!found) throw new ApiError(409, "artifact_missing", `${field}: ${f.name} has not been uploaded for ${version}`, field);
      if (found.bytes !== f.bytes)
        throw new ApiError(409, "artifact_mismatch", `${field}: ${f.name} has ${found.bytes} bytes in storage, the manifest says ${f.bytes}`, field);
      if (found.sha256 !== f.sha256)
        throw new ApiError(409, "artifact_mismatch", `${field}: ${f.name} has sha256 ${found.sha256} in storage, the manifest says ${f.sha256}`, field);
    });
    const body = new TextEncoder().encode(JSON.stringify(manifest));
    const manifest_sha256 = await sha256OfBytes(body);
    const active = await readPointer(c);
    if (active?.version === version && active.manifest_sha256 !== manifest_sha256) throw activeConflict(version, "its manifest");
    await c.env.ARTIFACTS.put(artifactKey(version, MANIFEST_FILE), body, {
      httpMetadata: { contentType: "application/json" },
      customMetadata: { sha256: manifest_sha256 },
    });
    return c.json({ version, manifest_sha256 }, 201);
  });

  app.put(activateRoute.path, requireAdminToken(), async (c) => {
    const { version } = parse(ActivateRequest, await readJson(c));
    let model: LoadedModel;
    try {
      model = await trialLoad(c.env, version);
    } catch (err) {
      if (!(err instanceof ModelLoadError)) throw err;
      if (err.missing) throw new ApiError(404, "not_found", `version: ${version} has no manifest; upload its files and manifest first`, "version");
      throw new ApiError(422, "model_unusable", `version: ${version} cannot be served (the pointer is unchanged): ${err.message}`, "version");
    }
    const pointer: ActivePointer = { version, manifest_sha256: model.manifestSha256, activated_at: new Date().toISOString() };
    try {
      await c.env.CONFIG.put(ACTIVE_POINTER_KEY, JSON.stringify(pointer));
    } catch (err) {
      await discardLoaded(model);
      throw err;
    }
    activateLoaded(model, pointer);
    return c.json(pointer, 200);
  });

  app.get(activeRoute.path, requireAdminToken(), async (c) => c.json({ pointer: await readPointer(c), loaded: loadedModelInfo() }, 200));
}
