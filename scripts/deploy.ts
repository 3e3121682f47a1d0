/**
 * Deploys the edge to Cloudflare and migrates the production database:
 *
 *   npm run deploy -- [--env-file deploy.env] [--dry-run]
 *
 * Creates the queues unless they exist, deploys the worker (wrangler creates its KV
 * namespace and R2 bucket on the first deploy), sets its secrets from the env file and
 * applies the Postgres migrations on DATABASE_URL (Neon). Every step is safe to repeat.
 * `--dry-run` prints the plan, runs `wrangler deploy --dry-run` (bundle and config
 * checked locally, nothing uploaded) and changes nothing. docs/deploy.md walks through
 * a deployment; scripts/deploy-plan.ts holds what is checked and run.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createDatabase } from "../backend/db/client.js";
import { MIGRATIONS_FOLDER, migrateDatabase } from "../backend/db/migrate.js";
import { deploySteps, EDGE_SECRETS_OPTIONAL, EDGE_SECRETS_REQUIRED, envProblems, parseEnvFile, QUEUES, type DeployEnv } from "./deploy-plan.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const USAGE = `usage: npm run deploy -- [--env-file deploy.env] [--dry-run]

Deploys the edge worker (queues, worker, secrets) with wrangler and applies the backend's
migrations on DATABASE_URL. The env file holds the production settings; see docs/deploy.md.`;

interface Run {
  code: number;
  output: string;
}

function wrangler(args: string[], echo: boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "wrangler"), args, {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const take = (d: Buffer) => {
      output += d.toString();
      if (echo) process.stdout.write(d.toString().replace(/^/gm, "    "));
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

function migrationTags(): string[] {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: Array<{ tag: string }> };
  return journal.entries.map((e) => e.tag);
}

async function ensureQueue(name: string): Promise<string> {
  const run = await wrangler(["queues", "create", name], false);
  if (run.code === 0) return "created";
  if (/already (exists|taken)|11009/i.test(run.output)) return "exists, reused";
  throw new Error(`wrangler queues create ${name} failed:\n${run.output}`);
}

async function setSecrets(env: DeployEnv): Promise<void> {
  const names = [...EDGE_SECRETS_REQUIRED, ...EDGE_SECRETS_OPTIONAL.filter((s) => env[s])];
  const dir = mkdtempSync(join(tmpdir(), "recs-deploy-"));
  const file = join(dir, "secrets.json");
  try {
    writeFileSync(file, JSON.stringify(Object.fromEntries(names.map((n) => [n, env[n]]))), { mode: 0o600 });
    const run = await wrangler(["secret", "bulk", file], true);
    if (run.code !== 0) throw new Error("wrangler secret bulk failed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function migrate(url: string): Promise<void> {
  const database = await createDatabase({ url });
  try {
    await migrateDatabase(database);
  } finally {
    await database.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { "env-file": { type: "string", default: "deploy.env" }, "dry-run": { type: "boolean", default: false }, help: { type: "boolean" } },
  });
  if (values.help) return void console.log(USAGE);
  const dryRun = values["dry-run"];
  let env: DeployEnv;
  try {
    env = parseEnvFile(readFileSync(values["env-file"], "utf8"));
  } catch (error) {
    console.error(`cannot read the env file ${values["env-file"]}: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const problems = envProblems(env);
  if (problems.length > 0) {
    console.error(`the env file ${values["env-file"]} is not ready:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    process.exit(2);
  }
  const outDir = mkdtempSync(join(tmpdir(), "recs-deploy-bundle-"));
  const steps = deploySteps(env, { dryRun, outDir, migrations: migrationTags() });
  console.log(`${dryRun ? "Plan (dry run: nothing is changed)" : "Deploying"} from ${values["env-file"]}:`);
  try {
    for (const [i, step] of steps.entries()) {
      console.log(`\n${i + 1}/${steps.length} ${step.title}`);
      for (const line of step.detail) console.log(`  ${line}`);
      if (step.title === "worker") {
        const run = await wrangler(step.wrangler!, true);
        if (run.code !== 0) throw new Error(`wrangler ${step.wrangler!.join(" ")} failed`);
      } else if (!dryRun && step.title === "queues") {
        for (const q of QUEUES) console.log(`  ${q}: ${await ensureQueue(q)}`);
      } else if (!dryRun && step.title === "secrets") {
        await setSecrets(env);
      } else if (!dryRun && step.title === "migrations") {
        await migrate(env.DATABASE_URL!);
        console.log("  migrations applied (or already there)");
      }
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  console.log(dryRun ? "\nDry run done: run again without --dry-run to deploy." : "\nDeployed.");
}

main().catch((error: unknown) => {
  console.error(`deploy failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
