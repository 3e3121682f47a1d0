/**
 * Test helper: a stand-in for the edge worker's endpoints the backend and the demo
 * loader call (PUT /v1/admin/keys, POST /v1/events, the model admin routes,
 * PUT /v1/admin/experiments, PUT|DELETE /v1/admin/models/shadow), recording
 * what it receives. Artifact uploads are recorded as their sha256 and size.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface FakeEdge {
  url: string;
  requests: RecordedRequest[];
  /** Status codes to answer PUT /v1/admin/keys with, in turn; then 204. */
  keyAnswers: number[];
  /** Status codes to answer PUT /v1/admin/experiments with, in turn; then 200. */
  experimentAnswers: number[];
  close(): Promise<void>;
}

export async function startFakeEdge(): Promise<FakeEdge> {
  const requests: RecordedRequest[] = [];
  const edge = { keyAnswers: [] as number[], experimentAnswers: [] as number[] };
  const server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.headers["content-type"] === "application/octet-stream") {
      const bytes = await readBytes(req);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      requests.push({ method: req.method ?? "", path, authorization: req.headers.authorization, body: { sha256, bytes: bytes.length } });
      res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ sha256, bytes: bytes.length }));
      return;
    }
    const body = await readJson(req);
    requests.push({ method: req.method ?? "", path, authorization: req.headers.authorization, body });
    if (req.method === "PUT" && path === "/v1/admin/keys") {
      res.writeHead(edge.keyAnswers.shift() ?? 204).end();
    } else if (req.method === "PUT" && path === "/v1/admin/experiments") {
      const status = edge.experimentAnswers.shift() ?? 200;
      const set = body as { experiments?: unknown[]; published_at?: string };
      res.writeHead(status, { "content-type": "application/json" });
      res.end(
        JSON.stringify(
          status === 200 ? { experiments: set.experiments?.length ?? 0, published_at: set.published_at } : { error: { code: "unavailable", message: "test" } },
        ),
      );
    } else if (req.method === "POST" && path === "/v1/events") {
      const events = (body as { events?: unknown[] }).events ?? [];
      res.writeHead(202, { "content-type": "application/json" });
      res.end(JSON.stringify({ accepted: events.length, duplicates: 0, rejected: [] }));
    } else if (req.method === "PUT" && /^\/v1\/admin\/models\/[^/]+\/manifest$/.test(path)) {
      const sha = createHash("sha256").update(JSON.stringify(body)).digest("hex");
      res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ manifest_sha256: sha }));
    } else if (path === "/v1/admin/models/shadow" && (req.method === "PUT" || req.method === "DELETE")) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(req.method === "PUT" ? body : { shadow: null }));
    } else if (req.method === "PUT" && path === "/v1/admin/models/active") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(edge, {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBytes(req)).toString("utf8");
  return text ? JSON.parse(text) : null;
}
