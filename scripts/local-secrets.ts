/**
 * Secrets and API keys of the local stack. Environment variables win; otherwise they
 * are generated once and kept in `<DATA_DIR>/local-secrets.json`, so keys printed by one
 * `npm start` still work after the next. Never used in production: the edge and the
 * backend refuse `rk_local_` keys there.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_KEY_PREFIX } from "../models/api-keys.js";

export interface LocalSecrets {
  adminKey: string;
  clientKey: string;
  backendToken: string;
  edgeAdminToken: string;
  redisToken: string;
  vectorToken: string;
  /** Signs the edge's anonymous session tokens (POST /v1/sessions). */
  sessionTokenSecret: string;
  /** Signs model manifests (backend) and verifies them (edge). */
  modelSigningKey: string;
  /** A stand-in identity provider's HS256 secret, to mint end-user JWTs by hand in development. */
  idpJwtSecret: string;
}

const ENV_NAMES: Record<keyof LocalSecrets, string> = {
  adminKey: "RECS_LOCAL_ADMIN_KEY",
  clientKey: "RECS_LOCAL_CLIENT_KEY",
  backendToken: "BACKEND_TOKEN",
  edgeAdminToken: "EDGE_ADMIN_TOKEN",
  redisToken: "UPSTASH_REDIS_REST_TOKEN",
  vectorToken: "UPSTASH_VECTOR_REST_TOKEN",
  sessionTokenSecret: "SESSION_TOKEN_SECRET",
  modelSigningKey: "MODEL_SIGNING_KEY",
  idpJwtSecret: "AUTH_JWT_SECRET",
};

export function localSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): LocalSecrets {
  const file = join(dataDir, "local-secrets.json");
  const stored: Partial<LocalSecrets> = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Partial<LocalSecrets>) : {};
  const fresh: LocalSecrets = {
    adminKey: `${LOCAL_KEY_PREFIX}admin_${random()}`,
    clientKey: `${LOCAL_KEY_PREFIX}client_${random()}`,
    backendToken: random(),
    edgeAdminToken: random(),
    redisToken: random(),
    vectorToken: random(),
    sessionTokenSecret: random(),
    modelSigningKey: random(),
    idpJwtSecret: random(),
  };
  const secrets = { ...fresh, ...stored };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  for (const k of Object.keys(ENV_NAMES) as Array<keyof LocalSecrets>) {
    const fromEnv = env[ENV_NAMES[k]];
    if (fromEnv) secrets[k] = fromEnv;
  }
  return secrets;
}

function random(): string {
  return randomBytes(24).toString("base64url");
}
