/**
 * `npm run deploy -- --dry-run` as an operator runs it: the plan from an env file,
 * wrangler's own `deploy --dry-run` over the real wrangler.toml (bundle and bindings
 * checked, nothing uploaded), no secret value printed; an incomplete env file is refused
 * naming what is missing. Also: no var in wrangler.toml is named like a secret the
 * deploy sets (Cloudflare refuses that).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EDGE_SECRETS_OPTIONAL, EDGE_SECRETS_REQUIRED, envProblems, parseEnvFile } from "./deploy-plan.js";

const dir = mkdtempSync(join(tmpdir(), "deploy-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const secret = (name: string) => `${name.toLowerCase()}-${"s".repeat(32)}`;
const complete: Record<string, string> = {
  UPSTASH_REDIS_REST_URL: "https://example-redis.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: secret("UPSTASH_REDIS_REST_TOKEN"),
  BACKEND_URL: "https://backend.example.com",
  BACKEND_TOKEN: secret("BACKEND_TOKEN"),
  EDGE_ADMIN_TOKEN: secret("EDGE_ADMIN_TOKEN"),
  USER_ID_HASH_KEY: secret("USER_ID_HASH_KEY"),
  MODEL_SIGNING_KEY: secret("MODEL_SIGNING_KEY"),
  SESSION_TOKEN_SECRET: secret("SESSION_TOKEN_SECRET"),
  DATABASE_URL: "postgresql://owner:neon-password-123@ep-example.eu-central-1.aws.neon.tech/recs?sslmode=require",
  CORS_ORIGINS: "https://shop.example.com",
};

function deploy(env: Record<string, string>, ...args: string[]) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.env`);
  writeFileSync(
    file,
    `# test\n${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n")}\n`,
  );
  const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/deploy.ts", "--env-file", file, ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}

describe("npm run deploy", () => {
  it("prints the full plan in a dry run and has wrangler check the worker, changing nothing", () => {
    const { code, out } = deploy(complete, "--dry-run");
    expect(code, out).toBe(0);
    for (const step of ["1/5 queues", "2/5 worker", "3/5 secrets", "4/5 migrations", "5/5 backend"]) expect(out).toContain(step);
    expect(out).toContain("recs-events: created unless it exists");
    expect(out).toContain("recs-events-dlq: created unless it exists");
    // wrangler's own dry run: the bundle was built and every binding resolved.
    for (const binding of [
      "env.USER_SESSION (UserSession)",
      "env.RATE_LIMITER (RateLimiter)",
      "env.CONFIG",
      "env.EVENTS_QUEUE (recs-events)",
      "env.ARTIFACTS (edge-recs-artifacts)",
    ]) {
      expect(out).toContain(binding);
    }
    expect(out).toMatch(/Total Upload: [\d.]+ KiB/);
    expect(out).toContain("--dry-run: exiting now.");
    expect(out).toContain(`wrangler secret bulk with 8 secrets: ${EDGE_SECRETS_REQUIRED.join(", ")}`);
    expect(out).toMatch(/on DATABASE_URL \(ep-example\.eu-central-1\.aws\.neon\.tech\): \d+ migrations, each applied once: 0000_init, /);
    expect(out).toContain("CORS_ORIGINS=https://shop.example.com");
    expect(out).toContain("Dry run done");
    for (const value of Object.values(complete).filter((v) => v.includes("s".repeat(32)) || v.includes("neon-password"))) expect(out).not.toContain(value);
  }, 150_000);

  it("refuses an env file that is not ready, naming every problem and no value", () => {
    const { UPSTASH_REDIS_REST_TOKEN: _dropped, ...partial } = complete;
    const { code, out } = deploy({ ...partial, BACKEND_TOKEN: "short", BACKEND_URL: "http://backend.example.com" }, "--dry-run");
    expect(code).toBe(2);
    expect(out).toContain("UPSTASH_REDIS_REST_TOKEN is missing");
    expect(out).toContain("BACKEND_TOKEN must be at least 32 characters");
    expect(out).toContain("BACKEND_URL must be an https:// URL");
    expect(out).not.toContain("short");
  });

  it("reads env files with comments and quotes, and the example file lists every required setting", () => {
    expect(parseEnvFile("# c\n\nA=1\nB=\"two words\"\nC='x=y'\n")).toEqual({ A: "1", B: "two words", C: "x=y" });
    expect(() => parseEnvFile("JUSTANAME\n")).toThrow(/line 1/);
    const example = readFileSync("deploy.env.example", "utf8");
    for (const name of [...EDGE_SECRETS_REQUIRED, "DATABASE_URL"]) expect(example).toMatch(new RegExp(`^${name}=$`, "m"));
    expect(envProblems(parseEnvFile(example)).length).toBeGreaterThanOrEqual(EDGE_SECRETS_REQUIRED.length);
  });

  it("keeps wrangler.toml's vars clear of every secret's name", () => {
    const toml = readFileSync("wrangler.toml", "utf8");
    const vars = toml.slice(toml.indexOf("[vars]")).split("\n[")[0]!;
    const names = [...vars.matchAll(/^([A-Z_]+)\s*=/gm)].map((m) => m[1]);
    expect(names).toContain("ENVIRONMENT");
    for (const s of [...EDGE_SECRETS_REQUIRED, ...EDGE_SECRETS_OPTIONAL]) expect(names).not.toContain(s);
  });
});
