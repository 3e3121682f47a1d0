/**
 * node:http plumbing shared by our local stand-ins for managed services (the Upstash
 * Redis gateway, the Upstash Vector server): bounded body reading, JSON replies,
 * listening and a shutdown that does not wait on idle keep-alive sockets.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";

/** The outcome of parsing one piece of a request: a value, or what is wrong with it. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface HttpReply {
  readonly status: number;
  readonly body: unknown;
}

export const TOO_LARGE = Symbol("too large");
const CLOSE_GRACE_MS = 2_000;

/** The client went away mid-request; there is nobody left to answer. */
export class ClientGoneError extends Error {
  override readonly name = "ClientGoneError";
}

/**
 * Collects the body up to `limit` bytes. Past the limit the rest is read and dropped
 * rather than cut off, so the client sees our 413 instead of a reset connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(TOO_LARGE);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > limit ? TOO_LARGE : Buffer.concat(chunks)));
    // After "end" these settle nothing; before it they mean the upload was cut short.
    req.on("error", () => reject(new ClientGoneError("request body aborted")));
    req.on("close", () => reject(new ClientGoneError("connection closed before the body ended")));
  });
}

export function send(res: ServerResponse, reply: HttpReply): void {
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify(reply.body);
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(json),
  };
  if (reply.status === 405) headers.allow = "GET, HEAD, POST, PUT";
  if (reply.status === 413) headers.connection = "close";
  res.writeHead(reply.status, headers);
  res.end(json);
}

export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive sockets would otherwise hold close() open until they time out, and a
  // stalled upload for as long as the client likes.
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
  await closed;
  clearTimeout(force);
}

/** An IPv6 host goes in brackets in a URL. */
export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
