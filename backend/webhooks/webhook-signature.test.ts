import { describe, expect, it } from "vitest";
import { signatureHeader, signatureOf, verifySignature } from "./webhook-signature.js";

const SECRET = "whsec_test";
const BODY = '{"id":"evt_1"}';
const T = 1_700_000_000;

describe("webhook signatures", () => {
  it("is HMAC-SHA256 of `<t>.<body>` (vector from Python's hmac module)", () => {
    expect(signatureOf(SECRET, T, BODY)).toBe("c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925");
    expect(signatureHeader(SECRET, T, BODY)).toBe(`t=${T},v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925`);
  });

  it("verifies what it signed, and refuses a changed body, another secret, a stale time or a malformed header", () => {
    const header = signatureHeader(SECRET, T, BODY);
    expect(verifySignature(SECRET, header, BODY, T + 10)).toEqual({ ok: true });
    expect(verifySignature(SECRET, header, '{"id":"evt_2"}', T)).toEqual({ ok: false, reason: "signature mismatch" });
    expect(verifySignature("whsec_other", header, BODY, T)).toEqual({ ok: false, reason: "signature mismatch" });
    expect(verifySignature(SECRET, header, BODY, T + 301)).toEqual({ ok: false, reason: "timestamp outside the tolerance" });
    // The timestamp is signed: moving it forward breaks the signature.
    expect(verifySignature(SECRET, header.replace(`t=${T}`, `t=${T + 400}`), BODY, T + 400)).toEqual({ ok: false, reason: "signature mismatch" });
    expect(verifySignature(SECRET, "v1=abc", BODY, T)).toEqual({ ok: false, reason: "malformed signature header" });
    expect(verifySignature(SECRET, undefined, BODY, T)).toEqual({ ok: false, reason: "no signature header" });
  });
});
