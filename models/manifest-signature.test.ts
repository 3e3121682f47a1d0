import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, derivedKeyId, manifestSigningBytes, signManifest, signingKey, verifyManifest } from "./manifest-signature.js";
import type { Manifest } from "./model-manifest.js";

const manifest = {
  version: "v1",
  created_at: "2026-12-01T00:00:00.000Z",
  feature_spec_hash: "a".repeat(64),
  catalog_size: 3,
  retrieval: { path: "in_process", factors: 1, alpha: 1, regularization: 1, strength: { kind: "linear" }, event_weights: { view: 1, click: 3 }, top_k: 2 },
  ranker: null,
  files: [{ name: "items.json", role: "items", sha256: "b".repeat(64), bytes: 10 }],
} satisfies Manifest;

describe("canonicalJson", () => {
  it("sorts object keys at every depth, keeps array order, drops undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson(["x", null, 1.5, true])).toBe('["x",null,1.5,true]');
    expect(canonicalJson({ é: "\u0000" })).toBe('{"é":"\\u0000"}');
  });

  it("gives the same bytes whatever order the manifest was built in", () => {
    const entries = Object.entries(manifest).reverse();
    const reordered = Object.fromEntries(entries) as unknown as Manifest;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(manifest));
    expect(Buffer.from(manifestSigningBytes(reordered))).toEqual(Buffer.from(manifestSigningBytes(manifest)));
  });
});

describe("signManifest / verifyManifest", () => {
  const secret = "unit-test-signing-key-0123456789abcdef";

  it("is HMAC-SHA256 of the domain-tagged canonical form (checked against node:crypto)", async () => {
    const key = await signingKey(secret, "k1");
    const signed = await signManifest(manifest, key);
    const expected = createHmac("sha256", secret)
      .update(`edge-recs/model-manifest/v1\n${canonicalJson(manifest)}`)
      .digest("hex");
    expect(signed.signature).toEqual({ alg: "HMAC-SHA256", key_id: "k1", value: expected });
    // Re-signing a signed manifest ignores the old signature.
    expect((await signManifest(signed, key)).signature).toEqual(signed.signature);
  });

  it("derives a stable key id from the secret unless one is given", async () => {
    const id = await derivedKeyId(secret);
    expect(id).toMatch(/^k-[0-9a-f]{16}$/);
    expect((await signingKey(secret)).id).toBe(id);
    expect((await signingKey("another-key-0123456789abcdef0123")).id).not.toBe(id);
    expect((await signingKey(secret, "  ")).id).toBe(id);
  });

  it("verifies under the named key and refuses unsigned, unknown-key and changed manifests", async () => {
    const key = await signingKey(secret);
    const signed = await signManifest(manifest, key);
    expect(await verifyManifest(signed, [key])).toEqual({ ok: true, keyId: key.id });
    expect(await verifyManifest(manifest, [key])).toMatchObject({ ok: false, code: "manifest_unsigned" });
    expect(await verifyManifest(signed, [{ id: "other", secret }])).toMatchObject({ ok: false, code: "signature_unknown_key" });
    const changed = { ...signed, files: [{ ...signed.files[0]!, bytes: 11 }] };
    expect(await verifyManifest(changed, [key])).toMatchObject({ ok: false, code: "signature_mismatch" });
  });
});
