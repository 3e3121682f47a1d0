/**
 * Runs parsed commands on the gateway's Redis connection and shapes the HTTP reply:
 * a single command, a /pipeline (independent commands) or a /multi-exec (MULTI/EXEC).
 * Redis error replies become 400s or per-entry errors; anything that means Redis did not
 * answer becomes RedisUnavailableError, which the server turns into a 503.
 */
import {
  batchEntry,
  describeTransactionAbort,
  encodeReply,
  errorReply,
  isRedisReplyError,
  type CommandPlan,
  type HttpReply,
  type RedisCommand,
} from "./protocol.js";
import { RedisUnavailableError, type CommandBatch, type CommandRunner } from "./redis-connection.js";

type BatchResults = [error: Error | null, result: unknown][];

export function executePlan(client: CommandRunner, plan: CommandPlan, base64: boolean): Promise<HttpReply> {
  if (plan.kind === "single") return executeCommand(client, plan.command, base64);
  return plan.transaction ? executeTransaction(client, plan.commands, base64) : executePipeline(client, plan.commands, base64);
}

async function executeCommand(client: CommandRunner, command: RedisCommand, base64: boolean): Promise<HttpReply> {
  try {
    const reply: unknown = await client.callBuffer(redisName(command), ...command.args);
    return { status: 200, body: { result: encodeReply(reply, base64) } };
  } catch (error) {
    if (isRedisReplyError(error)) return errorReply(400, error.message);
    throw asUnavailable(error);
  }
}

async function executePipeline(client: CommandRunner, commands: readonly RedisCommand[], base64: boolean): Promise<HttpReply> {
  const results = await runBatch(queue(client.pipeline(), commands));
  return { status: 200, body: toEntries(results, base64) };
}

async function executeTransaction(client: CommandRunner, commands: readonly RedisCommand[], base64: boolean): Promise<HttpReply> {
  let results: BatchResults;
  try {
    results = await runBatch(queue(client.multi(), commands));
  } catch (error) {
    // A command refused while queueing discards the whole transaction (EXECABORT);
    // Upstash answers that with one error, not an array.
    if (isRedisReplyError(error)) return errorReply(400, describeTransactionAbort(error));
    throw error;
  }
  return { status: 200, body: toEntries(results, base64) };
}

function queue(batch: CommandBatch, commands: readonly RedisCommand[]): CommandBatch {
  for (const command of commands) batch.callBuffer(redisName(command), ...command.args);
  return batch;
}

async function runBatch(batch: CommandBatch): Promise<BatchResults> {
  let results: BatchResults | null;
  try {
    results = await batch.exec();
  } catch (error) {
    if (isRedisReplyError(error)) throw error;
    throw asUnavailable(error);
  }
  // exec() yields null only for a transaction whose WATCHed keys changed; WATCH is refused
  // before we get here, so this means the connection went away mid-flight.
  if (results === null) throw new RedisUnavailableError("the batch was not executed");
  const lost = results.find(([error]) => error !== null && !isRedisReplyError(error));
  if (lost?.[0]) throw asUnavailable(lost[0]);
  return results;
}

function toEntries(results: BatchResults, base64: boolean) {
  return results.map(([error, reply]) => batchEntry(error, reply, base64));
}

/**
 * ioredis rewrites some replies by lower-case command name (HGETALL into an object), which
 * would change what the REST client sees. Redis ignores case; ioredis' lookup does not.
 */
function redisName(command: RedisCommand): string {
  return command.name.toUpperCase();
}

function asUnavailable(error: unknown): RedisUnavailableError {
  if (error instanceof RedisUnavailableError) return error;
  return new RedisUnavailableError(error instanceof Error ? error.message : String(error));
}
