/**
 * Request body cap for both apps (Hono middleware, WebCrypto-free, runs in workerd and
 * Node). Unlike hono/body-limit, an oversized body is read to its end (and thrown away)
 * before the 413 goes out: a server that answers and closes while the client is still
 * sending makes the client see a broken pipe or a reset instead of the error. Draining
 * stops after `drainBytes`, so a client streaming without end is cut off rather than
 * served forever.
 */
import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "./api-error.js";

export interface BodyCapOptions {
  /** Largest body accepted, in bytes; may depend on the route. */
  maxBytes: number | ((c: Context) => number);
  /** How much of an oversized body is read past the cap before giving up on draining it. */
  drainBytes?: number;
  /** Requests that bypass the cap (routes that stream their body and enforce their own). */
  skip?: (c: Context) => boolean;
}

export const DEFAULT_DRAIN_BYTES = 32 * 1024 * 1024;

export function bodyCap(options: BodyCapOptions): MiddlewareHandler {
  const drainBytes = options.drainBytes ?? DEFAULT_DRAIN_BYTES;
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body || options.skip?.(c)) return next();
    const max = typeof options.maxBytes === "function" ? options.maxBytes(c) : options.maxBytes;
    const reader = body.getReader();
    const declared = c.req.header("transfer-encoding") ? undefined : c.req.header("content-length");
    if (declared !== undefined && Number(declared) > max) {
      await discard(reader, drainBytes);
      throw tooLarge(max);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await discard(reader, drainBytes);
        throw tooLarge(max);
      }
      chunks.push(value);
    }
    c.req.raw = new Request(c.req.raw, { body: concat(chunks, size) });
    return next();
  };
}

function tooLarge(max: number): ApiError {
  // Connection: close because a drain may have stopped early; the client then knows not to reuse the socket.
  return new ApiError(413, "payload_too_large", `request body must be at most ${max} bytes`, "body", { connection: "close" });
}

/** Reads and drops the rest of a body, up to `limit` bytes; beyond that the stream is cancelled. */
export async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, limit: number): Promise<number> {
  let read = 0;
  try {
    while (read <= limit) {
      const { done, value } = await reader.read();
      if (done) return read;
      read += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away while we drained: nothing left to answer.
  }
  return read;
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
