/**
 * What `npm run deploy` does, as plain data: which settings the env file must hold, and
 * the steps with their commands. Pure, so the plan is tested without Cloudflare.
 */
export const EDGE_SECRETS_REQUIRED = [
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "BACKEND_URL",
  "BACKEND_TOKEN",
  "EDGE_ADMIN_TOKEN",
  "USER_ID_HASH_KEY",
  "MODEL_SIGNING_KEY",
  "SESSION_TOKEN_SECRET",
] as const;
export const EDGE_SECRETS_OPTIONAL = [
  "UPSTASH_VECTOR_REST_URL",
  "UPSTASH_VECTOR_REST_TOKEN",
  "MODEL_SIGNING_KEY_PREVIOUS",
  "SESSION_TOKEN_SECRET_PREVIOUS",
  "AUTH_JWT_SECRET",
  "AUTH_JWKS",
] as const;
/** Plain vars of the production worker (the rest come from wrangler.toml). */
export const EDGE_VARS_OPTIONAL = ["CORS_ORIGINS", "AUTH_JWKS_URL", "AUTH_JWT_ISSUER", "AUTH_JWT_AUDIENCE"] as const;
/** Shared secrets that must be long enough to resist guessing. */
const LONG_SECRETS = new Set(["BACKEND_TOKEN", "EDGE_ADMIN_TOKEN", "USER_ID_HASH_KEY", "MODEL_SIGNING_KEY", "SESSION_TOKEN_SECRET"]);
export const QUEUES = ["recs-events", "recs-events-dlq"] as const;

export type DeployEnv = Record<string, string>;

/** KEY=VALUE lines; `#` comments and blank lines skipped; one pair of surrounding quotes removed. */
export function parseEnvFile(text: string): DeployEnv {
  const env: DeployEnv = {};
  for (const [n, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`line ${n + 1}: expected NAME=value`);
    const value = line.slice(eq + 1).trim();
    env[line.slice(0, eq).trim()] = /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
  }
  return env;
}

/** Every problem with the env file, each naming the setting (never its value). */
export function envProblems(env: DeployEnv): string[] {
  const problems: string[] = [];
  for (const name of [...EDGE_SECRETS_REQUIRED, "DATABASE_URL"]) if (!env[name]) problems.push(`${name} is missing`);
  for (const name of LONG_SECRETS) if (env[name] && env[name].length < 32) problems.push(`${name} must be at least 32 characters`);
  for (const name of ["UPSTASH_REDIS_REST_URL", "BACKEND_URL", "UPSTASH_VECTOR_REST_URL"]) {
    if (env[name] && !/^https:\/\//.test(env[name])) problems.push(`${name} must be an https:// URL`);
  }
  if (env.DATABASE_URL && !/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) problems.push("DATABASE_URL must be a postgres:// URL (Neon's connection string)");
  return problems;
}

export interface DeployStep {
  title: string;
  /** wrangler's arguments, when the step is a wrangler command. */
  wrangler?: string[];
  detail: string[];
}

export function deploySteps(env: DeployEnv, options: { dryRun: boolean; outDir: string; migrations: string[] }): DeployStep[] {
  const vars = ["ENVIRONMENT:production", ...EDGE_VARS_OPTIONAL.filter((v) => env[v] !== undefined).map((v) => `${v}:${env[v]}`)];
  if (env.CORS_ORIGINS === undefined) vars.push("CORS_ORIGINS:");
  const secrets = [...EDGE_SECRETS_REQUIRED, ...EDGE_SECRETS_OPTIONAL.filter((s) => env[s])];
  const deploy = ["deploy", ...vars.flatMap((v) => ["--var", v]), ...(options.dryRun ? ["--dry-run", "--outdir", options.outDir] : [])];
  return [
    {
      title: "queues",
      detail: QUEUES.map((q) => `${q}: created unless it exists (wrangler queues create ${q})`),
    },
    {
      title: "worker",
      wrangler: deploy,
      detail: [
        "wrangler deploy with ENVIRONMENT=production; the KV namespace CONFIG and the R2 bucket edge-recs-artifacts are created on the first deploy and reused after",
        env.CORS_ORIGINS === undefined
          ? "CORS_ORIGINS is not set: no browser origin is allowed (set it for browser clients)"
          : `CORS_ORIGINS=${env.CORS_ORIGINS}`,
      ],
    },
    {
      title: "secrets",
      detail: [`wrangler secret bulk with ${secrets.length} secrets: ${secrets.join(", ")}`],
    },
    {
      title: "migrations",
      detail: [
        `on DATABASE_URL (${redactedHost(env.DATABASE_URL)}): ${options.migrations.length} migrations, each applied once: ${options.migrations.join(", ")}`,
      ],
    },
    {
      title: "backend",
      detail: [
        "host it yourself: `tsx backend/server.ts` with ENVIRONMENT=production and DATABASE_URL, UPSTASH_REDIS_REST_URL/_TOKEN,",
        "EDGE_URL (the worker's URL), EDGE_ADMIN_TOKEN, BACKEND_TOKEN, USER_ID_HASH_KEY, MODEL_SIGNING_KEY (and UPSTASH_VECTOR_REST_URL/_TOKEN) from the same env file",
      ],
    },
  ];
}

function redactedHost(url: string | undefined): string {
  try {
    return url ? new URL(url).host : "unset";
  } catch {
    return "unparseable";
  }
}
