/**
 * Signed manifests at the edge (models/manifest-signature.ts, worker/models/signing-keys.ts):
 * refused at upload when unsigned, tampered or signed with a key the edge does not hold;
 * refused again at activation and on every load from R2, where the last good version
 * keeps serving; and a key rotation in which both keys verify.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sha256OfBytes } from "../../models/hash.js";
import { signManifest, signingKey } from "../../models/manifest-signature.js";
import { ACTIVE_POINTER_KEY, MANIFEST_FILE, artifactKey, type ActivePointer, type Manifest } from "../../models/model-manifest.js";
import { createApp } from "../app.js";
import type { Env } from "../env.js";
import { uniq } from "../test-support/fixtures.js";
import {
  adminApi,
  buildTestVersion,
  publishVersion,
  signed,
  storeVersion,
  uploadFiles,
  V1_FACTORS,
  V2_FACTORS,
  writePointer,
} from "../test-support/model-artifacts.js";
import { getActiveModel, POINTER_TTL_MS, resetActiveModelForTests } from "./active-model.js";

type ErrorJson = { error: { code: string; message: string; field?: string } };

const OLD_SECRET = "rotation-old-signing-key-0123456789abcdef";
const NEW_SECRET = "rotation-new-signing-key-0123456789abcdef";
const RETIRED_SECRET = "retired-signing-key-0123456789abcdef";

/** The edge's fetch handler with some bindings changed (another deployment's secrets). */
async function edgeWith(overrides: Partial<Env>, path: string, init: RequestInit & { json?: unknown }): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${env.EDGE_ADMIN_TOKEN}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const req = new Request(`http://edge.test${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  const ctx = createExecutionContext();
  const res = await createApp().fetch(req, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const putManifest = (version: string, manifest: Manifest) => adminApi(`/v1/admin/models/${version}/manifest`, { method: "PUT", json: manifest });

async function expectRefused(res: Response, code: string, message: RegExp): Promise<void> {
  const body = await res.json<ErrorJson>();
  expect([res.status, body.error.code, body.error.field]).toEqual([400, code, "signature"]);
  expect(body.error.message).toMatch(message);
}

beforeEach(async () => {
  await resetActiveModelForTests();
  await env.CONFIG.delete(ACTIVE_POINTER_KEY);
});
afterEach(() => vi.restoreAllMocks());

describe("signed manifests", () => {
  it("refuses an unsigned manifest at upload and stores nothing", async () => {
    const v = await buildTestVersion(uniq("unsigned"), V1_FACTORS);
    await uploadFiles(v);
    await expectRefused(await putManifest(v.version, v.manifest), "manifest_unsigned", /not signed/);
    expect(await env.ARTIFACTS.head(artifactKey(v.version, MANIFEST_FILE))).toBeNull();
  });

  it("refuses a manifest changed after signing: a field, an artifact's sha256, or the signature itself", async () => {
    const v = await buildTestVersion(uniq("tampered"), V1_FACTORS);
    await uploadFiles(v);
    const good = await signed(v.manifest);

    const moreItems = { ...good, catalog_size: good.catalog_size + 1 };
    await expectRefused(await putManifest(v.version, moreItems), "signature_mismatch", /changed after signing/);
    // A swapped artifact: the manifest now pins other bytes for items.json, under the old signature.
    const swapped = structuredClone(good);
    swapped.files[1]!.sha256 = "0".repeat(64);
    await expectRefused(await putManifest(v.version, swapped), "signature_mismatch", /changed after signing/);
    const forged = { ...good, signature: { ...good.signature!, value: "f".repeat(64) } };
    await expectRefused(await putManifest(v.version, forged), "signature_mismatch", /changed after signing/);

    expect(await env.ARTIFACTS.head(artifactKey(v.version, MANIFEST_FILE))).toBeNull();
    expect((await putManifest(v.version, good)).status).toBe(201);
  });

  it("refuses a manifest signed with a key the edge does not hold, even under the right key id", async () => {
    const v = await buildTestVersion(uniq("foreign"), V1_FACTORS);
    await uploadFiles(v);
    const foreign = await signManifest(v.manifest, await signingKey(RETIRED_SECRET));
    await expectRefused(await putManifest(v.version, foreign), "signature_unknown_key", /does not hold/);
    // Someone who knows the key id but not the secret gets a mismatch, not a pass.
    const mine = await signingKey(env.MODEL_SIGNING_KEY!);
    const impostor = await signManifest(v.manifest, { id: mine.id, secret: RETIRED_SECRET });
    await expectRefused(await putManifest(v.version, impostor), "signature_mismatch", /changed after signing/);
  });

  it("rotates: during the overlap both keys verify; once the previous key is removed its manifests are refused", async () => {
    const oldKey = await signingKey(OLD_SECRET);
    const newKey = await signingKey(NEW_SECRET);
    expect(oldKey.id).not.toBe(newKey.id);
    const before = { MODEL_SIGNING_KEY: OLD_SECRET };
    const overlap = { MODEL_SIGNING_KEY: NEW_SECRET, MODEL_SIGNING_KEY_PREVIOUS: OLD_SECRET };
    const after = { MODEL_SIGNING_KEY: NEW_SECRET };

    const vOld = await buildTestVersion(uniq("rot-old"), V1_FACTORS);
    const vNew = await buildTestVersion(uniq("rot-new"), V2_FACTORS);
    await uploadFiles(vOld);
    await uploadFiles(vNew);
    const signedOld = await signManifest(vOld.manifest, oldKey);
    const signedNew = await signManifest(vNew.manifest, newKey);
    const put = (overrides: Partial<Env>, v: typeof vOld, m: Manifest) =>
      edgeWith(overrides, `/v1/admin/models/${v.version}/manifest`, { method: "PUT", json: m });

    expect((await put(before, vOld, signedOld)).status).toBe(201);
    await expectRefused(await put(before, vNew, signedNew), "signature_unknown_key", /does not hold/);

    expect((await put(overlap, vOld, signedOld)).status).toBe(201);
    expect((await put(overlap, vNew, signedNew)).status).toBe(201);
    // Activation re-reads the manifest from R2 and verifies it again, under either key.
    expect((await edgeWith(overlap, "/v1/admin/models/active", { method: "PUT", json: { version: vOld.version } })).status).toBe(200);
    expect((await edgeWith(overlap, "/v1/admin/models/active", { method: "PUT", json: { version: vNew.version } })).status).toBe(200);

    await expectRefused(await put(after, vOld, signedOld), "signature_unknown_key", new RegExp(`signed with key ${oldKey.id}`));
    const res = await edgeWith(after, "/v1/admin/models/active", { method: "PUT", json: { version: vOld.version } });
    expect(res.status).toBe(422);
    expect((await res.json<ErrorJson>()).error.message).toMatch(/does not hold/);
  });

  it("honours configured key ids", async () => {
    const v = await buildTestVersion(uniq("key-id"), V1_FACTORS);
    await uploadFiles(v);
    const manifest = await signManifest(v.manifest, await signingKey(NEW_SECRET, "2026-12"));
    expect(manifest.signature?.key_id).toBe("2026-12");
    await expectRefused(
      await edgeWith({ MODEL_SIGNING_KEY: NEW_SECRET }, `/v1/admin/models/${v.version}/manifest`, { method: "PUT", json: manifest }),
      "signature_unknown_key",
      /2026-12/,
    );
    const res = await edgeWith({ MODEL_SIGNING_KEY: NEW_SECRET, MODEL_SIGNING_KEY_ID: "2026-12" }, `/v1/admin/models/${v.version}/manifest`, {
      method: "PUT",
      json: manifest,
    });
    expect(res.status).toBe(201);
  });

  it("accepts no manifest in production without MODEL_SIGNING_KEY (no development key there)", async () => {
    const v = await buildTestVersion(uniq("prod"), V1_FACTORS);
    await uploadFiles(v);
    const res = await edgeWith({ ENVIRONMENT: "production", MODEL_SIGNING_KEY: undefined }, `/v1/admin/models/${v.version}/manifest`, {
      method: "PUT",
      json: await signed(v.manifest),
    });
    await expectRefused(res, "signature_unknown_key", /MODEL_SIGNING_KEY is not set/);
  });

  it("refuses to activate a version written straight into R2 unsigned (422), and keeps serving the last good one when a pointer is forced onto it", async () => {
    const good = await buildTestVersion(uniq("good"), V1_FACTORS);
    await publishVersion(good);
    expect((await adminApi("/v1/admin/models/active", { method: "PUT", json: { version: good.version } })).status).toBe(200);
    const pointer = await env.CONFIG.get<ActivePointer>(ACTIVE_POINTER_KEY, "json");

    // A writer with bucket access but without the signing key: the manifest is well formed, the files match, no signature.
    const rogue = await buildTestVersion(uniq("rogue"), V2_FACTORS);
    for (const f of rogue.files) await env.ARTIFACTS.put(artifactKey(rogue.version, f.name), f.bytes);
    const bytes = new TextEncoder().encode(JSON.stringify(rogue.manifest));
    await env.ARTIFACTS.put(artifactKey(rogue.version, MANIFEST_FILE), bytes);
    const rogueSha = await sha256OfBytes(bytes);

    const res = await adminApi("/v1/admin/models/active", { method: "PUT", json: { version: rogue.version } });
    expect(res.status).toBe(422);
    expect((await res.json<ErrorJson>()).error.message).toMatch(/not signed/);
    expect(await env.CONFIG.get<ActivePointer>(ACTIVE_POINTER_KEY, "json")).toEqual(pointer);

    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await writePointer(rogue.version, rogueSha);
    const loads: Array<Promise<unknown>> = [];
    const later = Date.now() + POINTER_TTL_MS;
    expect((await getActiveModel(env, later, (p) => loads.push(p)))?.version).toBe(good.version);
    await Promise.all(loads);
    expect((await getActiveModel(env, later + 1))?.version).toBe(good.version);
    expect(warn.mock.calls.flat().join(" ")).toMatch(/not signed/);
  });

  it("loads a version stored in R2 with a valid signature, as a publisher with bucket access would", async () => {
    const v = await buildTestVersion(uniq("stored"), V1_FACTORS);
    await storeVersion(v);
    expect((await adminApi("/v1/admin/models/active", { method: "PUT", json: { version: v.version } })).status).toBe(200);
  });
});
