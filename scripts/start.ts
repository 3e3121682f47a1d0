/**
 * `npm start`: the whole system locally, in the foreground, one log, clean Ctrl-C.
 *   npm start               edge :8787, backend :8788, Redis REST gateway :8079, demo data
 *   npm start -- --no-demo  the same without loading the demo catalog and events
 * Configuration: README.md, "Configuration".
 */
import { generateDemoData } from "../backend/demo/generate-demo-data.js";
import { defaultStackOptions, StackError, startLocalStack, type LocalStack } from "./local-stack.js";
import { RedisEngineError } from "./redis-engine.js";
import { loadDemoAndWait, trainFirstModel, waitForKeys } from "./stack-readiness.js";

const USAGE = `usage: npm start [-- --no-demo]

Runs the edge (wrangler dev), the backend, the Redis REST gateway, the Upstash
Vector stand-in and an embedded
Postgres (unless DATABASE_URL is set), loads demo data into an empty database, trains
and publishes the first model when the registry has none, and prints the URLs, the
local API keys and a curl to try.`;

async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) return void console.log(USAGE);
  const unknown = argv.filter((a) => a !== "--no-demo");
  if (unknown.length > 0) {
    console.error(`unknown option ${unknown[0]}\n\n${USAGE}`);
    process.exit(2);
  }
  let stack: LocalStack;
  let log: (source: string, line: string) => void = () => {};
  try {
    const opts = defaultStackOptions();
    log = opts.log;
    log("stack", `starting; data in ${opts.dataDir}`);
    stack = await startLocalStack(opts);
  } catch (err) {
    const known = err instanceof StackError || err instanceof RedisEngineError;
    console.error(known ? (err as Error).message : `could not start: ${(err as Error).message}`);
    process.exit(1);
  }
  onShutdown(stack);
  await waitForKeys(stack.edgeUrl, stack.secrets.clientKey);
  let model: string | null = null;
  if (!argv.includes("--no-demo")) {
    await loadDemoAndWait(stack, generateDemoData(), (line) => log("demo", line));
    try {
      model = await trainFirstModel(stack, (line) => log("train", line));
    } catch (err) {
      // The heuristic keeps serving; the reason is on screen and in the registry.
      log("train", `no learned model: ${(err as Error).message}`);
    }
  }
  printBanner(stack, model);
}

function printBanner(stack: LocalStack, model: string | null): void {
  const curl = `curl -s -H "Authorization: Bearer ${stack.secrets.clientKey}" ${stack.edgeUrl}/v1/recommendations/demo-user-1?limit=10`;
  console.log(
    [
      "",
      "Edge recommendations are running.",
      `  edge API      ${stack.edgeUrl}   (docs ${stack.edgeUrl}/docs)`,
      `  backend API   ${stack.backendUrl}   (docs ${stack.backendUrl}/docs, metrics ${stack.backendUrl}/metrics)`,
      `  dashboard     ${stack.backendUrl}/dashboard/   (enter the admin key below)`,
      `  Redis REST    ${stack.gatewayUrl} -> ${stack.redis.description}`,
      `  Vector REST   ${stack.vectorUrl}   (Upstash Vector stand-in)`,
      "",
      `  client key    ${stack.secrets.clientKey}   (events:write, recs:read)`,
      `  admin key     ${stack.secrets.adminKey}   (admin)`,
      "",
      `  model         ${model ?? "heuristic-v1 (no learned model)"}   (registry: GET ${stack.backendUrl}/api/v1/recs/models)`,
      "",
      "Try:",
      `  ${curl}`,
      "",
      "Ctrl-C stops everything; data stays in the data folder (delete it to start afresh).",
      "",
    ].join("\n"),
  );
}

function onShutdown(stack: LocalStack): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
