/**
 * Removes one user's rows from the dead-lettered queue messages kept in R2
 * (`dead-letters/…`, see queue/consumer.ts): events and served lists are filtered out
 * of their message, a feedback message of the user is deleted, and a message left with
 * nothing is deleted. Other users' rows stay, so an operator can still replay them.
 * Dead letters are rare; past MAX_OBJECTS the scrub reports failure (the store shows up
 * as degraded) rather than claim an erasure it did not finish.
 */
const PREFIX = "dead-letters/";
const MAX_OBJECTS = 5_000;

interface DeadLetter {
  body?: unknown;
  [key: string]: unknown;
}

export async function scrubDeadLetters(bucket: R2Bucket, userId: string): Promise<Record<string, number>> {
  let cursor: string | undefined;
  let seen = 0;
  let rewritten = 0;
  let deleted = 0;
  do {
    const page = await bucket.list({ prefix: PREFIX, cursor });
    for (const object of page.objects) {
      if (++seen > MAX_OBJECTS) throw new Error(`more than ${MAX_OBJECTS} dead letters; scrub them offline`);
      const stored = await bucket.get(object.key);
      if (!stored) continue;
      const text = await stored.text();
      // Cheap pre-check: a letter that does not mention the id as a JSON string holds none of its rows.
      if (!text.includes(JSON.stringify(userId))) continue;
      const letter = JSON.parse(text) as DeadLetter;
      const body = withoutUser(letter.body, userId);
      if (body === null) {
        await bucket.delete(object.key);
        deleted++;
      } else {
        await bucket.put(object.key, JSON.stringify({ ...letter, body }));
        rewritten++;
      }
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return { objects_rewritten: rewritten, objects_deleted: deleted };
}

/** The message body without the user's rows; null when nothing (of use) is left. */
function withoutUser(body: unknown, userId: string): unknown {
  if (typeof body !== "object" || body === null) return body;
  const record = body as Record<string, unknown>;
  const mine = (row: unknown) => typeof row === "object" && row !== null && (row as { user_id?: unknown }).user_id === userId;
  const feedback = record.feedback;
  if (mine(feedback)) return null;
  const out: Record<string, unknown> = { ...record };
  let left = 0;
  let lists = 0;
  for (const field of ["events", "served"]) {
    const rows = record[field];
    if (!Array.isArray(rows)) continue;
    lists++;
    out[field] = rows.filter((r) => !mine(r));
    left += (out[field] as unknown[]).length;
  }
  // A letter of an unknown shape that names the user (not a row we can cut out) goes entirely.
  if (lists === 0 && feedback === undefined) return null;
  return lists > 0 && left === 0 ? null : out;
}
