/**
 * An HTTP/1.1 client that always sends its whole body before it reads the answer, as
 * curl or a browser uploading a file does: a server that answers early and closes the
 * socket makes this fail with EPIPE or ECONNRESET instead of returning the status.
 */
import { request } from "node:http";

export interface WholeBodyAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function sendWholeBody(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array,
  opts: { chunked?: boolean; method?: string; paceMs?: number } = {},
): Promise<WholeBodyAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    let answer: WholeBodyAnswer | null = null;
    let sent = false;
    // Done only when the whole body went out and the whole answer came back: a reset
    // while still sending fails the call even if an early answer had arrived.
    const settle = () => {
      if (answer && sent) resolve(answer);
    };
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: opts.method ?? "POST",
        headers: opts.chunked ? headers : { ...headers, "content-length": String(body.byteLength) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          answer = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") };
          settle();
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.on("finish", () => {
      sent = true;
      settle();
    });
    // 64 KiB writes, each waiting for the socket to take the last (and `paceMs`, as a slow
    // link would), so the server sees a client still sending when it decides.
    const step = 64 * 1024;
    let offset = 0;
    const writeMore = (): void => {
      while (offset < body.byteLength) {
        const chunk = body.subarray(offset, offset + step);
        offset += chunk.byteLength;
        const ready = req.write(chunk);
        if (opts.paceMs) {
          const later = () => setTimeout(writeMore, opts.paceMs);
          if (ready) later();
          else req.once("drain", later);
          return;
        }
        if (!ready) {
          req.once("drain", writeMore);
          return;
        }
      }
      req.end();
    };
    writeMore();
  });
}
