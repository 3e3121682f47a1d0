/** Unwrapping parse outcomes in tests, with a message that shows what came back instead. */
import type { Parsed } from "../stand-ins/json-http-server.js";

export function value<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Error(`expected success, got: ${parsed.error}`);
  return parsed.value;
}

export function error<T>(parsed: Parsed<T>): string {
  if (parsed.ok) throw new Error(`expected a failure, got ${JSON.stringify(parsed.value)}`);
  return parsed.error;
}
