/**
 * Erasure end to end: a user's events, served lists and feedback reach the session
 * object, Redis and Postgres; DELETE /v1/users/{id}; then every store is searched for the
 * raw user id (every Redis key and value, every row of every Postgres table, every file
 * of the edge's persisted KV, R2 and Durable Objects, our JSON log lines) and nothing is
 * found. Replaying the user's earlier
 * batch with its original acceptance time stores nothing; the user's next list is
 * non-personal. Own ports (32787…) and Redis database 3.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Redis as IORedis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemoData } from "../../backend/demo/generate-demo-data.js";
import type { StoredEvent } from "../../models/events.js";
import { DEV_USER_ID_HASH_KEY, hashUserId } from "../../models/user-hash.js";
import { authed, startIsolatedStack, until, type IsolatedStack } from "../../scripts/isolated-stack.js";
import { loadDemoAndWait } from "../../scripts/stack-readiness.js";

const EDGE_PORT = 32787;
const REDIS_DB = 3;

interface Recs {
  request_id: string;
  items: Array<{ item_id: string; sources: string[] }>;
  degraded: string[];
  personalised: boolean;
}

let stack: IsolatedStack;
let redis: IORedis;
let items: string[];

beforeAll(async () => {
  stack = await startIsolatedStack(EDGE_PORT, REDIS_DB);
  const demo = generateDemoData(7, { users: 60 });
  items = demo.items.map((i) => i.item_id);
  expect(await loadDemoAndWait(stack, demo, () => {})).toBe(true);
  redis = new IORedis(`redis://127.0.0.1:6379/${REDIS_DB}`);
}, 240_000);

afterAll(async () => {
  await redis?.quit();
  await stack?.teardown();
}, 60_000);

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: stack.database.url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

const edge = (path: string, init: RequestInit = authed(stack.secrets.clientKey)) => fetch(`${stack.edgeUrl}${path}`, init);

async function recs(user: string): Promise<Recs> {
  const res = await edge(`/v1/recommendations/${user}?limit=10`);
  expect(res.status).toBe(200);
  return (await res.json()) as Recs;
}

/** Every Redis key and value (strings, lists, sets, sorted sets, hashes) that contains `needle`. */
async function redisMentions(needle: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const values =
        type === "string"
          ? [await redis.get(key)]
          : type === "list"
            ? await redis.lrange(key, 0, -1)
            : type === "set"
              ? await redis.smembers(key)
              : type === "zset"
                ? await redis.zrange(key, 0, -1)
                : type === "hash"
                  ? Object.entries(await redis.hgetall(key)).flat()
                  : [];
      if (key.includes(needle) || values.some((v) => v?.includes(needle))) found.push(key);
    }
  } while (cursor !== "0");
  return found;
}

/** Every row of every table in the database whose text contains `needle`, as "table: n rows". */
async function postgresMentions(needle: string): Promise<string[]> {
  const tables = await sql<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
  );
  expect(tables.map((t) => t.table_name)).toEqual(
    expect.arrayContaining(["interactions", "feedback", "served_lists", "shadow_lists", "users", "erased_users"]),
  );
  const found: string[] = [];
  for (const { table_name } of tables) {
    const [row] = await sql<{ n: string }>(`SELECT count(*) AS n FROM "${table_name}" t WHERE t::text LIKE '%' || $1 || '%'`, [needle]);
    if (Number(row!.n) > 0) found.push(`${table_name}: ${row!.n} rows`);
  }
  return found;
}

/** Files under a folder whose bytes contain `needle` (every file for ""). */
function filesMentioning(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (readFileSync(path).includes(needle)) found.push(path);
    }
  };
  walk(dir);
  return found;
}

describe("erasure end to end", () => {
  it("leaves nothing of the user in any store, and replays cannot bring it back", async () => {
    const user = `erasure-victim-${Date.now().toString(36)}`;
    const t0 = Date.now() - 60_000;
    // Client event ids that embed the user id: the worst case for key-based stores.
    const batch = items
      .slice(0, 6)
      .map((item, i) => ({ event_id: `${user}-ev-${i}`, user_id: user, item_id: item, type: i === 5 ? "purchase" : "view", ts: t0 + i * 1000 }));
    const posted = await edge("/v1/events", authed(stack.secrets.clientKey, { events: batch }));
    expect(posted.status).toBe(202);
    expect(await posted.json()).toMatchObject({ accepted: 6, rejected: [] });
    // Every event was accepted before this instant (and the erasure comes after it).
    const acceptedBy = Date.now();

    const personal = await recs(user);
    expect(personal.personalised).toBe(true);
    const fb = await edge(
      "/v1/feedback",
      authed(stack.secrets.clientKey, { request_id: personal.request_id, user_id: user, item_id: personal.items[0]!.item_id, type: "click" }),
    );
    expect(fb.status).toBe(202);

    await until("the user's rows in Postgres and Redis", 60_000, async () => {
      const [row] = await sql<{ i: string; s: string; f: string }>(
        "SELECT (SELECT count(*) FROM interactions WHERE user_id = $1) AS i, (SELECT count(*) FROM served_lists WHERE user_id = $1) AS s, (SELECT count(*) FROM feedback WHERE user_id = $1) AS f",
        [user],
      );
      const inRedis = await redis.exists(`recs:ur:${user}`);
      return Number(row!.i) === 6 && Number(row!.s) >= 1 && Number(row!.f) === 1 && inRedis === 1 ? true : null;
    });
    expect((await redisMentions(user)).length).toBeGreaterThan(0);
    expect((await postgresMentions(user)).length).toBeGreaterThan(0);

    const del = await edge(`/v1/users/${user}`, { method: "DELETE", headers: { authorization: `Bearer ${stack.secrets.adminKey}` } });
    expect(del.status).toBe(200);
    const erasure = (await del.json()) as {
      user_hash: string;
      erased_at: string;
      erased: Record<string, Record<string, number>>;
      tombstones: string[];
      degraded: string[];
    };
    expect(erasure.degraded).toEqual([]);
    expect(erasure.tombstones.sort()).toEqual(["postgres", "redis", "session"]);
    expect(erasure.erased.session).toMatchObject({ events: 6, consumed: 1 });
    expect(erasure.erased.postgres).toMatchObject({ interactions: 6, feedback: 1, users: 1 });
    expect(erasure.erased.postgres!.served_lists).toBeGreaterThanOrEqual(1);
    const hash = await hashUserId(user, DEV_USER_ID_HASH_KEY);
    expect(erasure.user_hash).toBe(hash);
    const erasedAt = Date.parse(erasure.erased_at);
    expect(erasedAt).toBeGreaterThan(acceptedBy);

    // Served lists of the requests above may still be on the queue; let them arrive (and be dropped).
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await redisMentions(user)).toEqual([]);
    expect(await postgresMentions(user)).toEqual([]);
    // The edge's persisted state: KV, R2 and every Durable Object's SQLite file.
    const persisted = join(stack.dataDir, "wrangler");
    const all = filesMentioning(persisted, "");
    for (const kind of ["/kv/", "/r2/", "/do/"]) expect(all.some((p) => p.includes(kind))).toBe(true);
    expect(filesMentioning(persisted, user)).toEqual([]);
    const tombs = await sql<{ user_hash: string }>("SELECT user_hash FROM erased_users WHERE user_hash = $1", [hash]);
    expect(tombs).toHaveLength(1);
    expect(Number(await redis.get(`recs:tomb:${hash}`))).toBe(erasedAt);

    // Replay the earlier batch with its original acceptance time: nothing is stored.
    const replay: StoredEvent[] = batch.map((e) => ({
      event_id: e.event_id,
      user_id: user,
      session_id: null,
      item_id: e.item_id,
      type: e.type as StoredEvent["type"],
      value: null,
      ts: e.ts,
      context: null,
      received_at: acceptedBy,
    }));
    const ingest = await fetch(`${stack.backendUrl}/internal/v1/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.secrets.backendToken}`, "content-type": "application/json" },
      body: JSON.stringify({ events: replay, feedback: [], served: [] }),
    });
    expect(ingest.status).toBe(200);
    expect(await ingest.json()).toMatchObject({ events: { inserted: 0 }, erased: { events: 6 } });
    expect(await postgresMentions(user)).toEqual([]);

    // The session object via the API: consent back to the default, and the list is the one
    // a stranger gets (no history, no exclusions). (This request starts the user's new life.)
    expect(await (await edge(`/v1/users/${user}/consent`)).json()).toEqual({ user_id: user, personalisation: true, updated_at: null });
    const after = await recs(user);
    const stranger = await recs(`stranger-${Date.now().toString(36)}`);
    for (const item of after.items) expect(item.sources.every((s) => s === "trending" || s === "popular")).toBe(true);
    expect(after.items.map((i) => i.item_id)).toEqual(stranger.items.map((i) => i.item_id));

    // Our own log lines carry the hash, never the id.
    const ours = stack.logs.filter((l) => l.includes('"request_id"') || l.includes('"level"'));
    expect(ours.some((l) => l.includes(hash))).toBe(true);
    expect(ours.filter((l) => l.includes(user))).toEqual([]);
  }, 180_000);
});
