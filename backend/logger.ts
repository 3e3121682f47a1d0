/**
 * Structured logs: one JSON object per line on stdout (stderr for errors), so a log
 * shipper can index fields without parsing prose.
 */
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export type LogSink = (level: "info" | "warn" | "error", line: string) => void;

const defaultSink: LogSink = (level, line) => {
  if (level === "error") process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
};

export function createLogger(sink: LogSink = defaultSink): Logger {
  const write = (level: "info" | "warn" | "error", msg: string, fields: LogFields = {}) =>
    sink(level, JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }));
  return {
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}

/** For tests: drops everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
