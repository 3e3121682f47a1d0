import { createAdaptorServer } from "@hono/node-server";
import { eq, sql } from "drizzle-orm";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { interactions } from "../backend/db/schema.js";
import { startHarness, type Harness } from "../backend/test-support/backend-harness.js";
import { main, parseArgs, type Io } from "./import-file.js";

let h: Harness;
let server: ReturnType<typeof createAdaptorServer>;
let url = "";
let dir = "";

beforeAll(async () => {
  h = await startHarness();
  server = createAdaptorServer({ fetch: h.app.fetch });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), "import-file-"));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

function capture(): Io & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return { out: (t) => (out += t), err: (t) => (err += t), stdout: () => out, stderr: () => err };
}

describe("parseArgs", () => {
  it("takes the format from the file name and the key from the environment", () => {
    expect(parseArgs(["h.csv.gz"], { RECS_ADMIN_KEY: "k", PORT: "9000" })).toEqual({
      kind: "run",
      args: { file: "h.csv.gz", url: "http://127.0.0.1:9000", key: "k", format: "csv" },
    });
    expect(parseArgs(["h.data", "--format", "ndjson", "--url", "http://b/", "--key", "x", "--max-bad-rows", "0"], {})).toMatchObject({
      args: { url: "http://b", key: "x", format: "ndjson", maxBadRows: 0 },
    });
  });

  it("names a bad argument", () => {
    const error = (argv: string[]) => {
      const p = parseArgs(argv, {});
      return p.kind === "error" ? p.message : null;
    };
    expect(error([])).toBe("missing the file to import");
    expect(error(["h.data"])).toBe("cannot tell the format of h.data; pass --format ndjson|csv");
    expect(error(["h.csv", "--format", "xml"])).toBe('--format must be ndjson or csv, got "xml"');
    expect(error(["h.csv", "--max-bad-rows", "-1"])).toMatch(/--max-bad-rows/);
    expect(error(["h.csv", "--bogus"])).toMatch(/Unknown option '--bogus'/);
  });
});

describe("main", () => {
  it("streams a gzipped CSV into the backend with a progress line, and a second run adds nothing", async () => {
    const user = `${h.prefix}-cli`;
    const rows = Array.from({ length: 3000 }, (_, i) => `${user}-${i % 50},sku-${i % 400},purchase,${Date.UTC(2010, 11, 1) + i * 60_000}`);
    const file = join(dir, "history.csv.gz");
    writeFileSync(file, gzipSync(`user_id,item_id,type,ts\n${rows.join("\n")}\n${user}-x,sku-1,purchase,yesterday\n`));

    const io = capture();
    expect(await main([file, "--url", url, "--key", h.keys.admin], io)).toBe(0);
    expect(io.stdout()).toMatch(/^rows 3,001: stored 3,000, already stored 0, erased users' 0, bad 1; 50 users; [\d,]+ rows\/s$/m);
    expect(io.stdout()).toContain(`${file}:3002: ts must be epoch milliseconds`);
    expect(io.stderr()).toMatch(/\[import\] \[#{25}\] 100%/);
    const [n] = await h.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(interactions)
      .where(sql`${interactions.userId} like ${`${user}-%`}`);
    expect(n!.n).toBe(3000);

    const again = capture();
    expect(await main([file, "--url", url, "--key", h.keys.admin], again)).toBe(0);
    expect(again.stdout()).toMatch(/stored 0, already stored 3,000/);
  });

  it("exits 1 naming the problem: a missing file, a refused key, an unreachable backend", async () => {
    const file = join(dir, "one.ndjson");
    writeFileSync(file, `${JSON.stringify({ user_id: "u", item_id: "i", type: "view", ts: 0 })}\n`);
    const missing = capture();
    expect(await main([join(dir, "nope.csv"), "--url", url, "--key", "k"], missing)).toBe(1);
    expect(missing.stderr()).toBe(`import: no such file: ${join(dir, "nope.csv")}\n`);
    const refused = capture();
    expect(await main([file, "--url", url, "--key", h.keys.client], refused)).toBe(1);
    expect(refused.stderr()).toMatch(/import: 403 /);
    const down = capture();
    expect(await main([file, "--url", "http://127.0.0.1:2", "--key", "k"], down)).toBe(1);
    expect(down.stderr()).toMatch(/cannot reach http:\/\/127\.0\.0\.1:2/);
    const stored = await h.database.db.select().from(interactions).where(eq(interactions.userId, "u"));
    expect(stored).toHaveLength(0);
  });
});
