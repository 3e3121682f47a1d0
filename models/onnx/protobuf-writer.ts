/**
 * Minimal protobuf wire-format encoder: just what the ONNX model builders need.
 *
 * Why hand-written: the graphs we emit (retrieval MatMul+TopK, later the ranker) are
 * tiny and fixed in shape, and this file is imported by the edge worker as well as the
 * backend. A generated protobufjs codec would pull the whole ONNX schema and a runtime
 * into the worker bundle; a hundred lines of varints and length prefixes does not.
 * Only Web-platform APIs are used (no Buffer), so it runs unchanged in Node and workerd.
 *
 * Wire format reference: https://protobuf.dev/programming-guides/encoding/
 */

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LEN = 2;

const TWO_POW_64 = 1n << 64n;

/**
 * Appends protobuf fields to a growable byte buffer. Nested messages are encoded into
 * their own writer first and then written length-delimited, which costs one copy per
 * level but keeps the API free of back-patching.
 */
export class ProtoWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  /** Bytes written so far (a copy, so the writer can be reused or dropped). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private reserve(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private rawByte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /**
   * Unsigned LEB128. Negative int64 values are encoded as their 64-bit two's complement
   * (10 bytes), which is what protobuf mandates for `int64` fields (e.g. TopK axis=-1).
   */
  private rawVarint(value: number | bigint): void {
    let v = BigInt(value);
    if (v < 0n) v += TWO_POW_64;
    if (v < 0n || v >= TWO_POW_64) throw new RangeError(`varint out of int64 range: ${value}`);
    // Fast path for the common small, non-negative case without BigInt arithmetic per byte.
    if (v <= 0x7fffffffn) {
      let n = Number(v);
      while (n > 0x7f) {
        this.rawByte((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      this.rawByte(n);
      return;
    }
    while (v > 0x7fn) {
      this.rawByte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.rawByte(Number(v));
  }

  private tag(field: number, wire: number): void {
    if (!Number.isInteger(field) || field < 1) throw new RangeError(`bad field number ${field}`);
    this.rawVarint(field * 8 + wire);
  }

  private rawBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** int32 / int64 / enum / bool field. */
  varint(field: number, value: number | bigint): this {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new RangeError(`field ${field}: ${value} is not a safe integer`);
    }
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  /** `float` field (fixed32, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, value, true);
    this.len += 4;
    return this;
  }

  /** `bytes` field, or any length-delimited payload. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.rawVarint(value.length);
    this.rawBytes(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** Embedded message, given as an already-encoded writer. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  /** `repeated int64` in packed form (the proto3 default; accepted by proto2 parsers too). */
  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(field, inner.finish());
  }
}
