/**
 * The gateway's embedded engine for a machine without Redis: ioredis-mock, an in-memory
 * Redis in JavaScript, behind the same interface as the real connection. `npm start`
 * falls back to it when no Redis answers at REDIS_URL; tests and CI keep the real one.
 *
 * ioredis-mock has each command as a method (`zrange(...)`), not ioredis's generic
 * `callBuffer(name, ...args)`, so commands are dispatched by name. It answers strings
 * where Redis answers bulk bytes; the reply encoder treats both alike. Its data lives as
 * long as the process: the backend's feature-store claim re-sends the catalog after a
 * restart, and live counts start again from zero.
 *
 * Redis reads option words in any case; ioredis-mock's SET only in capitals, and the
 * Upstash client sends them in lower case (`set k v nx ex 60`). Option words are
 * upper-cased where each command takes them, never its keys or values.
 * engines.test.ts runs every command shape the product sends on both engines.
 */
import RedisMock from "ioredis-mock";
import type { RedisArg } from "./protocol.js";
import type { CommandBatch, CommandRunner, RedisConnection } from "./redis-connection.js";

type Method = (...args: RedisArg[]) => unknown;
type BatchResults = Array<[Error | null, unknown]>;

/** Errors from the engine are Redis error replies (a 400 or a per-entry error), never "unavailable". */
function replyError(message: string): Error {
  return Object.assign(new Error(message), { name: "ReplyError" });
}

function methodOf(target: object, name: string): Method | null {
  const m = (target as Record<string, unknown>)[name.toLowerCase()];
  return typeof m === "function" ? (m as Method).bind(target) : null;
}

/** Where each command takes option words: from an index, at odd indices (SCAN), or leading ones (ZADD). */
const OPTION_WORDS: Record<string, { words: ReadonlySet<string>; at: (index: number, seenOnlyOptions: boolean) => boolean }> = {
  SET: { words: new Set(["NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT"]), at: (i) => i >= 2 },
  ZRANGE: { words: new Set(["REV", "WITHSCORES", "BYSCORE", "BYLEX", "LIMIT"]), at: (i) => i >= 3 },
  SCAN: { words: new Set(["MATCH", "COUNT", "TYPE"]), at: (i) => i % 2 === 1 },
  ZADD: { words: new Set(["NX", "XX", "GT", "LT", "CH", "INCR"]), at: (i, leading) => i >= 1 && leading },
  EXPIRE: { words: new Set(["NX", "XX", "GT", "LT"]), at: (i) => i >= 2 },
};

export function normaliseOptions(name: string, args: readonly RedisArg[]): RedisArg[] {
  const rule = OPTION_WORDS[name.toUpperCase()];
  if (!rule) return [...args];
  let leading = true;
  return args.map((arg, i) => {
    const upper = String(arg).toUpperCase();
    const isOption = rule.at(i, leading) && rule.words.has(upper);
    if (i >= 1 && !isOption) leading = false;
    return isOption ? upper : arg;
  });
}

const unknownCommand = (name: string) => replyError(`ERR unknown command '${name}'`);

/** Lua's false is Redis's nil reply; ioredis-mock hands it back as false. */
function luaReply(reply: unknown): unknown {
  if (reply === false) return null;
  return Array.isArray(reply) ? reply.map(luaReply) : reply;
}

const SCRIPT_COMMANDS = new Set(["EVAL", "EVALSHA"]);

async function run(engine: object, name: string, args: readonly RedisArg[]): Promise<unknown> {
  const m = methodOf(engine, name);
  if (!m) throw unknownCommand(name);
  try {
    const reply = await m(...normaliseOptions(name, args));
    return SCRIPT_COMMANDS.has(name.toUpperCase()) ? luaReply(reply) : reply;
  } catch (error) {
    throw replyError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * A pipeline or transaction, run on the engine itself: ioredis-mock's own pipeline lacks
 * some commands (EVAL). Its commands run synchronously when called, so calling them all
 * before awaiting any keeps a batch whole, as MULTI would, without other clients' commands
 * in between.
 */
class MemoryBatch implements CommandBatch {
  private readonly queued: Array<{ name: string; args: RedisArg[] }> = [];

  constructor(
    private readonly engine: object,
    private readonly transaction: boolean,
  ) {}

  callBuffer(name: string, ...args: RedisArg[]): this {
    this.queued.push({ name, args });
    return this;
  }

  async exec(): Promise<BatchResults | null> {
    const missing = this.queued.find((q) => !methodOf(this.engine, q.name));
    if (this.transaction && missing) {
      throw Object.assign(replyError("EXECABORT Transaction discarded because of previous errors."), { previousErrors: [unknownCommand(missing.name)] });
    }
    const settled = await Promise.allSettled(this.queued.map((q) => run(this.engine, q.name, q.args)));
    return settled.map((s): [Error | null, unknown] => (s.status === "fulfilled" ? [null, s.value] : [s.reason as Error, null]));
  }
}

export function openMemoryConnection(): RedisConnection {
  const engine = new RedisMock();
  const client: CommandRunner = {
    callBuffer: (name, ...args) => run(engine, name, args),
    pipeline: () => new MemoryBatch(engine, false),
    multi: () => new MemoryBatch(engine, true),
    ping: () => engine.ping(),
  };
  return {
    client,
    whenReady: async () => undefined,
    close: async () => {
      engine.disconnect();
    },
  };
}
