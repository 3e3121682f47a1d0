/**
 * The keys this edge accepts model manifests under: MODEL_SIGNING_KEY and, during a
 * rotation, MODEL_SIGNING_KEY_PREVIOUS. Outside production a built-in development key
 * stands in for an unset MODEL_SIGNING_KEY; in production an edge without one accepts no
 * manifest at all (the last good model keeps serving).
 */
import { DEVELOPMENT_SIGNING_SECRET, signingKey, verifyManifest, type SignatureCheck, type SigningKey } from "../../models/manifest-signature.js";
import type { Manifest } from "../../models/model-manifest.js";
import type { Env } from "../env.js";

export type SigningEnv = Pick<
  Env,
  "ENVIRONMENT" | "MODEL_SIGNING_KEY" | "MODEL_SIGNING_KEY_ID" | "MODEL_SIGNING_KEY_PREVIOUS" | "MODEL_SIGNING_KEY_PREVIOUS_ID"
>;

export async function acceptedSigningKeys(env: SigningEnv): Promise<SigningKey[]> {
  const current = env.MODEL_SIGNING_KEY?.trim() || (env.ENVIRONMENT === "production" ? "" : DEVELOPMENT_SIGNING_SECRET);
  const previous = env.MODEL_SIGNING_KEY_PREVIOUS?.trim();
  const keys: SigningKey[] = [];
  if (current) keys.push(await signingKey(current, env.MODEL_SIGNING_KEY_ID));
  if (previous) keys.push(await signingKey(previous, env.MODEL_SIGNING_KEY_PREVIOUS_ID));
  return keys;
}

/** Checks a manifest's signature against the keys in `env`. */
export async function checkManifestSignature(manifest: Manifest, env: SigningEnv): Promise<SignatureCheck> {
  const keys = await acceptedSigningKeys(env);
  if (keys.length === 0)
    return { ok: false, code: "signature_unknown_key", message: "MODEL_SIGNING_KEY is not set on this edge, so no manifest can be verified" };
  return verifyManifest(manifest, keys);
}
