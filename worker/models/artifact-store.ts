/**
 * Model artifacts in R2, always checked against a sha256: uploads are hashed as they
 * stream through (an artifact can be far larger than what an isolate may buffer), and
 * reads are re-hashed, so a file corrupted or swapped in storage is refused rather than
 * served.
 */
import { sha256OfBytes } from "../../models/hash.js";

const toHex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** sha256 and length of a stream without holding it in memory (workerd's DigestStream). */
async function hashStream(stream: ReadableStream<Uint8Array>): Promise<{ sha256: string; bytes: number }> {
  const digest = new crypto.DigestStream("SHA-256");
  let bytes = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  await stream.pipeThrough(counter).pipeTo(digest);
  return { sha256: toHex(await digest.digest), bytes };
}

export type StoreOutcome = { ok: true } | { ok: false; actualSha256: string };

/**
 * Streams `body` (exactly `length` bytes) into R2 at `key`. R2 is given the expected
 * sha256 too, so on a mismatch it refuses the write and whatever was stored under the key
 * before stays intact; our own digest of the same bytes names the hash actually received.
 */
export async function storeArtifact(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array> | null,
  length: number,
  expectedSha256: string,
): Promise<StoreOutcome> {
  const options: R2PutOptions = { sha256: expectedSha256, customMetadata: { sha256: expectedSha256 } };
  if (!body || length === 0) {
    const actual = await sha256OfBytes(new Uint8Array(0));
    if (actual !== expectedSha256) return { ok: false, actualSha256: actual };
    await bucket.put(key, new Uint8Array(0), options);
    return { ok: true };
  }
  const [toStore, toHash] = body.tee();
  // A tee'd branch has no known length, which R2 requires of a stream; FixedLengthStream restores it.
  const sized = new FixedLengthStream(length);
  const piping = toStore.pipeTo(sized.writable);
  const hashing = hashStream(toHash);
  const [put, hashed, piped] = await Promise.allSettled([bucket.put(key, sized.readable, options), hashing, piping]);
  if (hashed.status === "fulfilled" && hashed.value.sha256 !== expectedSha256) {
    // R2 refused the write (checksum); if a store ever accepted it anyway, do not leave it there.
    if (put.status === "fulfilled") await bucket.delete(key);
    return { ok: false, actualSha256: hashed.value.sha256 };
  }
  if (put.status === "rejected") throw put.reason;
  if (piped.status === "rejected") throw piped.reason;
  if (hashed.status === "rejected") throw hashed.reason;
  return { ok: true };
}

/** Streams an object through sha256; null when there is no such object. */
export async function hashStoredObject(bucket: R2Bucket, key: string): Promise<{ sha256: string; bytes: number } | null> {
  const object = await bucket.get(key);
  if (!object) return null;
  return hashStream(object.body);
}

/** The object's bytes, or null when there is no such object. */
export async function readBytes(bucket: R2Bucket, key: string): Promise<Uint8Array | null> {
  const object = await bucket.get(key);
  return object ? new Uint8Array(await object.arrayBuffer()) : null;
}

export class ArtifactError extends Error {
  override name = "ArtifactError";
}

/** The object's bytes, refused unless they have exactly the expected size and sha256. */
export async function readVerified(bucket: R2Bucket, key: string, expected: { sha256: string; bytes?: number }): Promise<Uint8Array> {
  const object = await bucket.get(key);
  if (!object) throw new ArtifactError(`${key} is missing`);
  if (expected.bytes !== undefined && object.size !== expected.bytes) {
    await object.body.cancel();
    throw new ArtifactError(`${key} has ${object.size} bytes, expected ${expected.bytes}`);
  }
  const bytes = new Uint8Array(await object.arrayBuffer());
  const actual = await sha256OfBytes(bytes);
  if (actual !== expected.sha256) throw new ArtifactError(`${key} has sha256 ${actual}, expected ${expected.sha256}`);
  return bytes;
}
