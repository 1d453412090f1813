// HB2 as the phone writes it (docs/hb2.md): the bound certificate from the service, a
// fresh proof over the time, Base45, the "HB2:" prefix. Pure functions: the signing
// itself is passed in (WebCrypto on the page, a test key under node --test).

import { encode } from "../../engine/base45.js";

export const PREFIX = "HB2:";
export const PROOF_PROTECTED = Uint8Array.of(0xa1, 0x01, 0x27); // {1: -8}
const SIGNATURE1 = new TextEncoder().encode("Signature1");

/** Base45 (RFC 9285) of bytes: the verifier engine's own encoder. */
export const base45Encode = encode;

/** The shortest CBOR head of major type `major` with argument `n` (0 <= n < 2**32). */
export function cborHead(major, n) {
  const top = major << 5;
  if (n < 24) return Uint8Array.of(top | n);
  if (n < 0x100) return Uint8Array.of(top | 24, n);
  if (n < 0x10000) return Uint8Array.of(top | 25, n >> 8, n & 0xff);
  if (n < 0x100000000) {
    return Uint8Array.of(top | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  }
  throw new RangeError("CBOR argument too large for this writer");
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function bstr(bytes) {
  return concat(cborHead(2, bytes.length), bytes);
}

/** The proof's payload: the time in whole epoch seconds as a CBOR unsigned integer. */
export function proofPayload(time) {
  if (!Number.isInteger(time) || time < 0) throw new RangeError("time must be whole seconds");
  return cborHead(0, time);
}

/** What the phone signs: ["Signature1", h'a10127', bound (external_aad), payload]. */
export function sigStructure(bound, payload) {
  return concat(
    Uint8Array.of(0x84),
    cborHead(3, SIGNATURE1.length),
    SIGNATURE1,
    bstr(PROOF_PROTECTED),
    bstr(bound),
    bstr(payload),
  );
}

/** The proof, a tagged COSE_Sign1: 18([h'a10127', {}, payload, signature]). */
export function proofBytes(payload, signature) {
  if (signature.length !== 64) throw new RangeError("an Ed25519 signature is 64 bytes");
  return concat(Uint8Array.of(0xd2, 0x84), bstr(PROOF_PROTECTED), Uint8Array.of(0xa0),
    bstr(payload), bstr(signature));
}

/**
 * The QR text of a live card at `time`: `sign(bytes)` must resolve to the 64-byte
 * Ed25519 signature of `bytes` by the phone's key.
 */
export async function liveText(bound, time, sign) {
  const payload = proofPayload(time);
  const signature = new Uint8Array(await sign(sigStructure(bound, payload)));
  return PREFIX + base45Encode(concat(Uint8Array.of(0x82), bound, proofBytes(payload, signature)));
}

/** sha256(raw public key)[0..8] as hex: how the bundle names a superseded phone. */
export async function keyHash(subtle, publicKey) {
  const digest = new Uint8Array(await subtle.digest("SHA-256", publicKey));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function base64urlEncode(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function base64urlDecode(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0));
}
