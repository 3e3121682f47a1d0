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
import type { ChainableCommander } from "ioredis";
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

class MemoryBatch implements CommandBatch {
  /** Positions of commands the engine does not have, answered as errors in place. */
  private readonly unknown = new Map<number, string>();
  private count = 0;

  constructor(
    private readonly inner: ChainableCommander,
    private readonly transaction: boolean,
  ) {}

  callBuffer(name: string, ...args: RedisArg[]): this {
    const m = methodOf(this.inner, name);
    if (m) m(...normaliseOptions(name, args));
    else this.unknown.set(this.count, name);
    this.count++;
    return this;
  }

  async exec(): Promise<BatchResults | null> {
    if (this.transaction && this.unknown.size > 0) {
      const [name] = this.unknown.values();
      throw Object.assign(replyError("EXECABORT Transaction discarded because of previous errors."), { previousErrors: [unknownCommand(name!)] });
    }
    const ran = ((await this.inner.exec()) ?? []) as BatchResults;
    const out: BatchResults = [];
    let next = 0;
    for (let i = 0; i < this.count; i++) {
      const missing = this.unknown.get(i);
      if (missing !== undefined) out.push([unknownCommand(missing), null]);
      else {
        const [error, reply] = ran[next++]!;
        out.push([error ? replyError(error.message) : null, reply]);
      }
    }
    return out;
  }
}

export function openMemoryConnection(): RedisConnection {
  const engine = new RedisMock();
  const client: CommandRunner = {
    async callBuffer(name, ...args) {
      const m = methodOf(engine, name);
      if (!m) throw unknownCommand(name);
      try {
        return await m(...normaliseOptions(name, args));
      } catch (error) {
        throw replyError(error instanceof Error ? error.message : String(error));
      }
    },
    pipeline: () => new MemoryBatch(engine.pipeline(), false),
    multi: () => new MemoryBatch(engine.multi(), true),
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
