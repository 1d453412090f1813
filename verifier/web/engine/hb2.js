/**
 * HB2: the live card on the holder's phone, a bound certificate plus a fresh phone proof.
 *
 * Twin of huicui_verifier/hb2.py (reading only: bound certificates are issued by the
 * service and proofs are signed on the phone). "HB2:" + base45([bound, proof]): `bound`
 * is an HB1-style COSE_Sign1 by the issuer whose claims also carry the phone's Ed25519
 * public key (private claim 5); `proof` is a COSE_Sign1 by that phone key over the time,
 * with the bound certificate's bytes as external_aad. docs/hb2.md is the specification.
 * Like HB1, HB2 is closed: every byte must be the deterministic encoding of what it says.
 */

import * as base45 from "./base45.js";
import * as cbor_check from "./cbor_check.js";
import * as cose from "./cose.js";
import * as hb1 from "./hb1.js";

export const PREFIX = "HB2:";
export const MAX_TEXT_LENGTH = 1024; // a version-10 code at L holds 395 characters
export const HC_DEVICE_KEY = 5; // in the Huicui private claim (-65537) of a bound certificate
export const DEVICE_KEY_LENGTH = 32;
export const KEY_HASH_LENGTH = 8;
// A proof is fresh for this many seconds after its time (the bundle's skew is added on
// both sides). The holder page signs a new one every 10 seconds.
export const PROOF_WINDOW = 30;
// The proof's protected header {1: -8}: alg EdDSA and nothing else (the key is named by
// the bound certificate, so no kid).
export const PROOF_PROTECTED = new Uint8Array([0xa1, 0x01, 0x27]);

/**
 * An HB2 text that cannot be read; `reason` is a decision reason code. A kind of
 * hb1.HB1Error, so a caller reading either format catches one type.
 */
export class HB2Error extends hb1.HB1Error {
  constructor(reason, detail, kind = "damaged") {
    super(reason, detail, kind);
    this.name = "HB2Error";
  }
}

function malformed(detail) {
  return new HB2Error("malformed", detail);
}

const sameBytes = (a, b) => a instanceof Uint8Array && a.length === b.length && a.every((v, i) => v === b[i]);

async function sha256(data) {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", data));
}

/** The 8 bytes a bundle lists for a superseded phone: sha256(raw key)[0..8] (a promise). */
export async function deviceKeyHash(deviceKey) {
  return (await sha256(deviceKey)).slice(0, KEY_HASH_LENGTH);
}

/**
 * What a device remembers of a proof: sha256(device key ‖ time as 8 bytes)[0..16] (a
 * promise). Ed25519 is deterministic, so one phone showing one card at one second makes
 * one proof; the same key and time seen twice at a device is a replay.
 */
export async function proofId(decoded) {
  const data = new Uint8Array(DEVICE_KEY_LENGTH + 8);
  data.set(decoded.bound.device_key, 0);
  new DataView(data.buffer).setBigUint64(DEVICE_KEY_LENGTH, BigInt(decoded.proof.time));
  return (await sha256(data)).slice(0, 16);
}

// --- reading --------------------------------------------------------------------------

/**
 * Parse an HB2 text without checking either signature: {bound, proof}. Throws HB2Error
 * (reason "malformed", with a detail naming the rule) for any input that is not exactly
 * an HB2 code; never anything else.
 */
export function decode(text) {
  if (typeof text !== "string") throw malformed("input is not text");
  if (hb1.codePoints(text) > MAX_TEXT_LENGTH) throw malformed(`input longer than ${MAX_TEXT_LENGTH} characters`);
  if (!text.startsWith(PREFIX)) throw malformed(`prefix ${JSON.stringify(PREFIX)} missing`);
  const raw = hb1.base45Body(text, PREFIX);
  if (!raw.length || raw[0] !== 0x82) throw malformed("HB2 must be a CBOR array of exactly two items");
  const end = sign1End(raw, 1);
  return { bound: readBound(raw.subarray(1, end)), proof: readProof(raw.subarray(end)) };
}

/** [argument, position after the head] of a definite item of major type `major` at `pos`. */
function head(data, pos, major, what) {
  if (pos >= data.length) throw malformed(`${what} missing`);
  const initial = data[pos];
  const info = initial & 0x1f;
  if (initial >> 5 !== major) throw malformed(`${what} has the wrong CBOR type`);
  if (info < 24) return [info, pos + 1];
  if (info <= 27) {
    const end = pos + 1 + (1 << (info - 24));
    if (end > data.length) throw malformed(`${what} is cut short`);
    let value = 0;
    for (let i = pos + 1; i < end; i++) value = value * 256 + data[i]; // past 2^53 it only needs to be too long
    return [value, end];
  }
  throw malformed(`${what} has an indefinite or reserved length`);
}

/**
 * Where the tagged COSE_Sign1 starting at `pos` ends (its heads only; the strict reading
 * of its contents follows).
 */
function sign1End(data, pos) {
  if (data[pos] !== 0xd2 || data[pos + 1] !== 0x84) throw malformed("the bound certificate must be a COSE_Sign1 (tag 18, four items)");
  let at = pos + 2;
  [2, 5, 2, 2].forEach((major, index) => {
    const [length, next] = head(data, at, major, `bound certificate item ${index}`);
    at = next;
    if (major === 5) {
      if (length) throw malformed("the bound certificate's unprotected header must be empty");
      return;
    }
    if (length > data.length - at) throw malformed(`bound certificate item ${index} runs past the end`);
    at += length;
  });
  return at;
}

/**
 * A bound certificate from its tagged COSE_Sign1 bytes: {raw, protected, kid, payload,
 * signature, claims, device_key}; throws HB2Error.
 */
export function readBound(raw) {
  let sign1;
  try {
    sign1 = cose.parse(raw);
  } catch (exc) {
    if (exc instanceof cose.CoseError) throw malformed(`bound certificate: ${exc.message}`);
    throw exc;
  }
  const [claims, deviceKey] = readBoundClaims(sign1.payload);
  return { raw: raw.slice(), protected: sign1.protected, kid: sign1.kid, payload: sign1.payload, signature: sign1.signature, claims, device_key: deviceKey };
}

function readBoundClaims(payload) {
  let cwt;
  try {
    cwt = hb1.loadClaims(payload);
  } catch (exc) {
    throw exc instanceof hb1.HB1Error ? malformed(exc.detail) : exc;
  }
  const priv = cbor_check.isMap(cwt) ? cwt.get(hb1.CLAIM_HUICUI) : undefined;
  if (!cbor_check.isMap(priv)) throw malformed("claims must be a map holding the Huicui claim -65537 as a map");
  const deviceKey = priv.get(HC_DEVICE_KEY);
  if (!(deviceKey instanceof Uint8Array) || deviceKey.length !== DEVICE_KEY_LENGTH) {
    throw malformed(`a bound certificate carries a ${DEVICE_KEY_LENGTH}-byte device key (5)`);
  }
  const rest = new Map([...priv].filter(([k]) => k !== HC_DEVICE_KEY));
  // Everything but the device key follows HB1's rules exactly: read it as HB1 claims.
  // The payload is already deterministic (cbor_check), so what HB1 accepts is exactly it.
  try {
    return [hb1.strictClaims(cbor_check.dumps(new Map([...cwt, [hb1.CLAIM_HUICUI, rest]]))), deviceKey];
  } catch (exc) {
    if (exc instanceof hb1.HB1Error) throw malformed(exc.detail);
    throw malformed(`claims: ${exc.message}`);
  }
}

/** The proof from its tagged COSE_Sign1 bytes: {protected, payload, time, signature}; throws HB2Error. */
export function readProof(raw) {
  let obj;
  try {
    obj = cbor_check.loads(raw, { maxDepth: 2, topTags: new Set([cose.COSE_SIGN1_TAG]) });
  } catch (exc) {
    if (exc instanceof cbor_check.CBORCheckError) throw malformed(`proof is not CBOR: ${exc.message}`);
    throw exc;
  }
  if (!(obj instanceof cbor_check.Tag) || obj.tag !== cose.COSE_SIGN1_TAG) throw malformed("the proof must be a COSE_Sign1 (tag 18)");
  const parts = obj.value;
  if (!cbor_check.isArray(parts) || parts.length !== 4) throw malformed("the proof must be an array of four items");
  const [protectedBytes, unprotected, payload, signature] = parts;
  if (!sameBytes(protectedBytes, PROOF_PROTECTED)) throw malformed("the proof's protected header must be exactly {1: -8}");
  if (!cbor_check.isMap(unprotected) || unprotected.size) throw malformed("the proof's unprotected header must be an empty map");
  if (!(payload instanceof Uint8Array)) throw malformed("the proof's payload must be an attached byte string");
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw malformed("the proof's signature must be 64 bytes");
  let time;
  try {
    time = cbor_check.loads(payload, { maxDepth: 0 });
  } catch (exc) {
    if (exc instanceof cbor_check.CBORCheckError) throw malformed(`the proof's time is not CBOR: ${exc.message}`);
    throw exc;
  }
  if (!hb1.isInt(time) || !(time >= 0 && time <= hb1.MAX_TIMESTAMP)) {
    throw malformed("the proof's time must be whole epoch seconds before 9999-12-30");
  }
  return { protected: protectedBytes, payload, time: Number(time), signature };
}

/**
 * The bound certificate inside a text that is not a valid HB2 code, else null: its COSE
 * re-encoded as "HB1:" text, or as "HB2:" text with the proof left off.
 */
export function boundShownAsStatic(text) {
  if (typeof text !== "string" || hb1.codePoints(text) > MAX_TEXT_LENGTH) return null;
  let body;
  if (text.startsWith(hb1.PREFIX)) body = text.slice(hb1.PREFIX.length);
  else if (text.startsWith(PREFIX)) body = text.slice(PREFIX.length);
  else return null;
  try {
    return readBound(base45.decode(body));
  } catch (exc) {
    if (exc instanceof base45.Base45Error || exc instanceof HB2Error) return null;
    throw exc;
  }
}

// --- verifying ------------------------------------------------------------------------

/** True when the issuer's signature on the bound certificate is valid for `publicKey` (a promise). */
export function verifyIssuer(bound, publicKey) {
  return cose.verify(cose.Sign1(bound.protected, bound.kid, bound.payload, bound.signature), publicKey);
}

/** True when the proof is signed by the device key the bound certificate names (a promise). */
export function verifyDevice(decoded) {
  const { proof, bound } = decoded;
  return cose.verify(cose.Sign1(proof.protected, null, proof.payload, proof.signature), bound.device_key, bound.raw);
}
