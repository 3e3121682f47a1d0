/**
 * Publishing through the admin API end to end in workerd: uploads checked against their
 * declared sha256, manifests against what R2 holds, activation only after a real load and
 * warm-up in this isolate, and the store keeping the last good version when storage or
 * the pointer go wrong. Expected numbers: test-support/model-artifacts.ts.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sha256OfBytes } from "../../models/hash.js";
import { createApp } from "../app.js";
import { ACTIVE_POINTER_KEY, MANIFEST_FILE, artifactKey, type ActivePointer, type Manifest } from "../../models/model-manifest.js";
import { getActiveModel, POINTER_TTL_MS, rankScores, resetActiveModelForTests } from "../models/active-model.js";
import { uniq } from "../test-support/fixtures.js";
import {
  adminApi,
  buildTestVersion,
  countRuns,
  expectV1,
  expectV2,
  publishVersion,
  RANKER_CASES,
  signed,
  V1_FACTORS,
  V2_FACTORS,
  writePointer,
} from "../test-support/model-artifacts.js";

type ErrorJson = { error: { code: string; message: string; field?: string } };

const activate = (version: string) => adminApi("/v1/admin/models/active", { method: "PUT", json: { version } });
const pointerInKv = () => env.CONFIG.get<ActivePointer>(ACTIVE_POINTER_KEY, "json");

async function upload(version: string, name: string, bytes: Uint8Array, sha256?: string, headers: Record<string, string> = {}): Promise<Response> {
  return adminApi(`/v1/admin/models/${version}/files/${name}`, {
    method: "PUT",
    body: bytes,
    headers: { "content-type": "application/octet-stream", "x-content-sha256": sha256 ?? (await sha256OfBytes(bytes)), ...headers },
  });
}

async function expectError(res: Response, status: number, field: string | undefined, message?: RegExp): Promise<void> {
  expect(res.status).toBe(status);
  const body = await res.json<ErrorJson>();
  expect(body.error.field).toBe(field);
  if (message) expect(body.error.message).toMatch(message);
}

async function activeV1(): Promise<string> {
  const v1 = await buildTestVersion(uniq("v1"), V1_FACTORS);
  await publishVersion(v1);
  expect((await activate(v1.version)).status).toBe(200);
  return v1.version;
}

beforeEach(async () => {
  await resetActiveModelForTests();
  await env.CONFIG.delete(ACTIVE_POINTER_KEY);
});
afterEach(() => vi.restoreAllMocks());

describe("admin model routes", () => {
  it.each([
    ["PUT", "/v1/admin/models/v1/files/items.json"],
    ["PUT", "/v1/admin/models/v1/manifest"],
    ["PUT", "/v1/admin/models/active"],
    ["GET", "/v1/admin/models/active"],
  ])("refuses %s %s without the admin token, and with a client API key", async (method, path) => {
    const body = method === "PUT" ? "{}" : undefined;
    for (const token of [null, "not-the-token", "rk_test_client_key_00000000000000000"]) {
      const res = await adminApi(path, { method, body, token, headers: { "content-type": "application/json", "x-content-sha256": "0".repeat(64) } });
      await expectError(res, 401, "authorization");
    }
  });

  it("uploads, publishes and activates a version, which this isolate then serves with the hand-computed numbers", async () => {
    const v = await buildTestVersion(uniq("v1"), V1_FACTORS);
    const file = v.files[0]!;
    const res = await upload(v.version, file.name, file.bytes);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ version: v.version, name: file.name, sha256: v.manifest.files[0]!.sha256, bytes: file.bytes.length });
    expect((await env.ARTIFACTS.head(artifactKey(v.version, file.name)))?.customMetadata).toEqual({ sha256: v.manifest.files[0]!.sha256 });

    const manifestSha = await publishVersion(v);
    const stored = await env.ARTIFACTS.get(artifactKey(v.version, MANIFEST_FILE));
    expect(await sha256OfBytes(await stored!.arrayBuffer())).toBe(manifestSha);

    const act = await activate(v.version);
    expect(act.status).toBe(200);
    const pointer = await act.json<ActivePointer>();
    expect(pointer).toMatchObject({ version: v.version, manifest_sha256: manifestSha });
    expect(await pointerInKv()).toEqual(pointer);

    const info = await (await adminApi("/v1/admin/models/active")).json<{ pointer: ActivePointer; loaded: { version: string; memory_bytes: number } }>();
    expect(info.pointer).toEqual(pointer);
    expect(info.loaded.version).toBe(v.version);
    expect(info.loaded.memory_bytes).toBeGreaterThan(0);

    // Served at once, without waiting for the pointer cache.
    const m = (await getActiveModel(env))!;
    expect(m.version).toBe(v.version);
    await expectV1(m);
    const scores = await rankScores(m, Float32Array.from(RANKER_CASES.flatMap((c) => c.row)), RANKER_CASES.length);
    expect([...scores]).toEqual(RANKER_CASES.map((c) => c.score));
  });

  it("refuses an upload whose bytes do not match X-Content-Sha256 and stores nothing", async () => {
    const version = uniq("v");
    const bytes = new TextEncoder().encode('{"items":["a"]}');
    const other = await sha256OfBytes(new TextEncoder().encode("something else"));
    await expectError(await upload(version, "items.json", bytes, other), 400, "x-content-sha256", new RegExp(`body's sha256 is ${await sha256OfBytes(bytes)}`));
    expect(await env.ARTIFACTS.head(artifactKey(version, "items.json"))).toBeNull();

    // A failed re-upload leaves the earlier good object intact.
    expect((await upload(version, "items.json", bytes)).status).toBe(201);
    await expectError(await upload(version, "items.json", new TextEncoder().encode("tampered"), await sha256OfBytes(bytes)), 400, "x-content-sha256");
    const kept = await env.ARTIFACTS.get(artifactKey(version, "items.json"));
    expect(await kept!.text()).toBe('{"items":["a"]}');
  });

  it.each([
    ["no X-Content-Sha256", "v1", "items.json", { "x-content-sha256": "" }, 400, "x-content-sha256"],
    ["a malformed X-Content-Sha256", "v1", "items.json", { "x-content-sha256": "abc" }, 400, "x-content-sha256"],
    ["a bad version", "-v1", "items.json", {}, 400, "version"],
    ["a bad file name", "v1", "Items.JSON", {}, 400, "name"],
    ["the manifest's name", "v1", "manifest.json", {}, 400, "name"],
    ["a JSON content type", "v1", "items.json", { "content-type": "application/json" }, 415, undefined],
  ])("answers an upload with %s with a 4xx", async (_label, version, name, headers, status, field) => {
    await expectError(await upload(version, name, Uint8Array.of(1, 2, 3), undefined, headers), status, field);
  });

  it("needs Content-Length for an upload, since the body streams to R2 unbuffered", async () => {
    const bytes = Uint8Array.of(1, 2, 3);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    // Straight into the app: through SELF the unread stream would break the test's own pipe.
    const req = new Request(`http://edge.test/v1/admin/models/${uniq("v")}/files/blob.bin`, {
      method: "PUT",
      body,
      headers: {
        authorization: `Bearer ${env.EDGE_ADMIN_TOKEN}`,
        "content-type": "application/octet-stream",
        "x-content-sha256": await sha256OfBytes(bytes),
      },
    });
    expect(req.headers.get("content-length")).toBeNull();
    const ctx = createExecutionContext();
    const res = await createApp().fetch(req, env, ctx);
    await waitOnExecutionContext(ctx);
    await expectError(res, 411, "content-length");
  });

  it("answers hostile input on every model route in JSON, never with a 5xx", async () => {
    const deep = JSON.parse("[".repeat(2000) + "]".repeat(2000)) as unknown;
    const values: unknown[] = [null, true, -1, 1e308, [], {}, deep, "", "../../etc/passwd", "\u0000", "😀".repeat(200), "a".repeat(10_000)];
    const v = await buildTestVersion(uniq("v"), V1_FACTORS);
    for (const value of values) {
      const text = typeof value === "string" ? value : JSON.stringify(value);
      const responses = await Promise.all([
        adminApi(`/v1/admin/models/${encodeURIComponent(text)}/manifest`, { method: "PUT", json: v.manifest }),
        adminApi(`/v1/admin/models/${v.version}/manifest`, { method: "PUT", json: value }),
        adminApi(`/v1/admin/models/${v.version}/manifest`, { method: "PUT", json: { ...v.manifest, files: value } }),
        adminApi("/v1/admin/models/active", { method: "PUT", json: { version: value } }),
        adminApi("/v1/admin/models/active", { method: "PUT", json: value }),
        upload(encodeURIComponent(text), encodeURIComponent(text), Uint8Array.of(1)),
        // Only what a Headers object can carry at all.
        ...(/^[\x20-\x7e]*$/.test(text) ? [upload(v.version, "blob.bin", Uint8Array.of(1), undefined, { "x-content-sha256": text })] : []),
      ]);
      for (const res of responses) {
        expect(res.status, `${res.url} with ${text.slice(0, 40)}`).toBeLessThan(500);
        expect(res.headers.get("content-type")).toMatch(/application\/json/);
        await res.body?.cancel();
      }
    }
  });

  it("documents the model routes in the OpenAPI document", async () => {
    const doc = await (await adminApi("/openapi.json", { token: null })).json<{ paths: Record<string, object> }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/admin/models/{version}/files/{name}", "/v1/admin/models/{version}/manifest", "/v1/admin/models/active"]),
    );
  });

  it("refuses a manifest listing a file that is missing, or present with another size or sha256 (409 naming it)", async () => {
    const v = await buildTestVersion(uniq("v"), V1_FACTORS);
    for (const f of v.files.slice(1)) expect((await upload(v.version, f.name, f.bytes)).status).toBe(201);
    const putManifest = async (manifest: Manifest) => adminApi(`/v1/admin/models/${v.version}/manifest`, { method: "PUT", json: await signed(manifest) });

    await expectError(await putManifest(v.manifest), 409, "files.0", /retrieval\.onnx has not been uploaded/);
    expect((await upload(v.version, v.files[0]!.name, v.files[0]!.bytes)).status).toBe(201);

    const wrongSize = structuredClone(v.manifest);
    wrongSize.files[1]!.bytes += 1;
    await expectError(await putManifest(wrongSize), 409, "files.1", /items\.json has \d+ bytes in storage, the manifest says/);
    const wrongSha = structuredClone(v.manifest);
    wrongSha.files[2]!.sha256 = "f".repeat(64);
    await expectError(await putManifest(wrongSha), 409, "files.2", /neighbours\.json has sha256/);
    expect(await env.ARTIFACTS.head(artifactKey(v.version, MANIFEST_FILE))).toBeNull();

    expect((await putManifest(v.manifest)).status).toBe(201);
  });

  it("answers a malformed manifest with a 400 naming the field", async () => {
    const v = await buildTestVersion(uniq("v"), V1_FACTORS);
    const put = (body: unknown, version = v.version) => adminApi(`/v1/admin/models/${version}/manifest`, { method: "PUT", json: body });
    await expectError(await put(v.manifest, uniq("other")), 400, "version");
    await expectError(await put({ ...v.manifest, catalog_size: -1 }), 400, "catalog_size");
    await expectError(await put({ ...v.manifest, files: v.manifest.files.filter((f) => f.role !== "items") }), 400, "files", /role items is required/);
    await expectError(
      await adminApi(`/v1/admin/models/${v.version}/manifest`, { method: "PUT", body: "{", headers: { "content-type": "application/json" } }),
      400,
      "body",
    );
  });

  it("refuses to activate a version corrupted in R2 after upload (422, pointer unchanged), and a pointer forced onto it leaves v1 serving", async () => {
    const v1 = await activeV1();
    const before = await pointerInKv();
    const bad = await buildTestVersion(uniq("v-bad"), V2_FACTORS);
    const badSha = await publishVersion(bad);
    const retrieval = bad.files[0]!;
    const flipped = Uint8Array.from(retrieval.bytes);
    flipped[flipped.length - 1]! ^= 0xff; // same size, different bytes
    await env.ARTIFACTS.put(artifactKey(bad.version, retrieval.name), flipped);

    await expectError(await activate(bad.version), 422, "version", /retrieval\.onnx has sha256 \w+, expected/);
    expect(await pointerInKv()).toEqual(before);

    // Someone writes the pointer directly: the isolate tries, fails, and keeps v1.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await writePointer(bad.version, badSha);
    const loads: Array<Promise<unknown>> = [];
    const later = Date.now() + POINTER_TTL_MS;
    expect((await getActiveModel(env, later, (p) => loads.push(p)))?.version).toBe(v1);
    await Promise.all(loads);
    const m = (await getActiveModel(env, later + 1))!;
    expect(m.version).toBe(v1);
    await expectV1(m);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it("refuses to activate a version whose graph does not run or whose ranker expects other features (422), or that does not exist (404)", async () => {
    const broken = await buildTestVersion(uniq("v-ranker"), V1_FACTORS, { rankerFeatures: 3 });
    await publishVersion(broken);
    await expectError(await activate(broken.version), 422, "version", /warm-up run failed/);
    // A ranker trained on another feature list would be fed the wrong columns.
    const otherSpec = await buildTestVersion(uniq("v-spec"), V1_FACTORS, { featureSpecHash: "e".repeat(64) });
    await publishVersion(otherSpec);
    await expectError(await activate(otherSpec.version), 422, "version", /trained with feature spec e{64}, this edge computes [0-9a-f]{64}/);
    await expectError(await activate(uniq("never-published")), 404, "version");
    await expectError(await adminApi("/v1/admin/models/active", { method: "PUT", json: { version: "v1", extra: true } }), 400, "body", /extra/);
    expect(await pointerInKv()).toBeNull();
  });

  it("keeps v1 answering while v2 is trial-loaded and warmed, then serves v2", async () => {
    const v1 = await activeV1();
    const v2 = await buildTestVersion(uniq("v2"), V2_FACTORS);
    await publishVersion(v2);
    const runs = countRuns((await getActiveModel(env))!.retrieval!);

    let answered = false;
    const activation = activate(v2.version).then((res) => {
      answered = true;
      return res;
    });
    const seen: string[] = [];
    while (!answered) {
      const m = (await getActiveModel(env))!;
      seen.push(m.version);
      if (m.version === v1) await expectV1(m);
      else expect([runs(m.retrieval), runs(m.ranker)]).toEqual([1, 1]); // warmed, and nobody else ran it yet
      await new Promise((r) => setTimeout(r, 1));
    }
    expect((await activation).status).toBe(200);
    // v1 throughout the load; v2 can only appear at the very end, once it is warm and the pointer is written.
    expect(seen[0]).toBe(v1);
    const firstV2 = seen.indexOf(v2.version);
    expect(seen.slice(firstV2 === -1 ? seen.length : firstV2).every((v) => v === v2.version)).toBe(true);
    expect(seen.filter((v) => v === v1).length).toBeGreaterThan(1);
    const m = (await getActiveModel(env))!;
    expect(m.version).toBe(v2.version);
    expect([runs(m.retrieval), runs(m.ranker)]).toEqual([1, 1]);
    await expectV2(m);
  });

  it("refuses to change the files or manifest of the active version, but accepts an identical re-upload", async () => {
    const v = await buildTestVersion(uniq("v1"), V1_FACTORS);
    await publishVersion(v);
    expect((await activate(v.version)).status).toBe(200);
    const items = v.files[1]!;
    expect((await upload(v.version, items.name, items.bytes)).status).toBe(201);
    await expectError(await upload(v.version, items.name, new TextEncoder().encode('{"items":[]}')), 409, "version", /is active/);
    await expectError(
      await adminApi(`/v1/admin/models/${v.version}/manifest`, { method: "PUT", json: await signed({ ...v.manifest, catalog_size: 4 }) }),
      409,
      "version",
    );
    expect((await adminApi(`/v1/admin/models/${v.version}/manifest`, { method: "PUT", json: await signed(v.manifest) })).status).toBe(201);
  });
});
