/**
 * COSE_Sign1 (RFC 9052 §4.2) with EdDSA, as both HB1 certificates and bundles use it.
 *
 * Twin of huicui_verifier/cose.py. Only the one shape Huicui signs is accepted: tag 18,
 * protected header exactly {1: -8, 4: kid} with a 4-byte kid, an empty unprotected
 * header, an attached payload and a 64-byte signature. Anything else is refused.
 *
 * Signatures are checked with WebCrypto's Ed25519 (crypto.subtle, asynchronous); where a
 * browser lacks that algorithm, with @noble/ed25519 in its strict RFC 8032 mode (not its
 * default ZIP-215 mode, which accepts encodings OpenSSL, and so the Python verifier,
 * refuses).
 */

import { verifyAsync as nobleVerify } from "@noble/ed25519";

import * as cbor_check from "./cbor_check.js";

export const COSE_SIGN1_TAG = 18;
export const ALG_EDDSA = -8;
export const HEADER_ALG = 1;
export const HEADER_KID = 4;
export const KID_LENGTH = 4;
export const SIGNATURE_LENGTH = 64;

/** A COSE_Sign1 that is not the shape Huicui signs. */
export class CoseError extends Error {
  constructor(detail) {
    super(detail);
    this.name = "CoseError";
  }
}

/** The four parts of a parsed COSE_Sign1 (Uint8Arrays); nothing here is verified yet. */
export function Sign1(protectedBytes, kid, payload, signature) {
  return { protected: protectedBytes, kid, payload, signature };
}

function bstrHead(length) {
  if (length < 24) return [0x40 + length];
  if (length < 0x100) return [0x58, length];
  if (length < 0x10000) return [0x59, length >> 8, length & 0xff];
  return [0x5a, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
}

// The array head and "Signature1" context string that open every Sig_structure.
const SIG1_START = [0x84, 0x6a, ...new TextEncoder().encode("Signature1")];

const NO_AAD = new Uint8Array(0);

/**
 * The bytes that are signed: ["Signature1", protected, externalAad, payload],
 * deterministically encoded. HB1 and bundles leave externalAad empty; an HB2 proof binds
 * the bound certificate through it (docs/hb2.md).
 */
export function sigStructure(protectedBytes, payload, externalAad = NO_AAD) {
  const parts = [SIG1_START, bstrHead(protectedBytes.length), protectedBytes, bstrHead(externalAad.length), externalAad, bstrHead(payload.length), payload];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Parse a tagged COSE_Sign1 (a Uint8Array), throwing CoseError for anything off-shape. */
export function parse(data, { maxDepth = 4 } = {}) {
  let obj;
  try {
    obj = cbor_check.loads(data, { maxDepth, topTags: new Set([COSE_SIGN1_TAG]) });
  } catch (exc) {
    if (exc instanceof cbor_check.CBORCheckError) throw new CoseError(`not CBOR: ${exc.message}`);
    throw exc;
  }
  if (!(obj instanceof cbor_check.Tag) || obj.tag !== COSE_SIGN1_TAG) throw new CoseError("not a COSE_Sign1: tag 18 expected");
  const parts = obj.value;
  if (!cbor_check.isArray(parts) || parts.length !== 4) throw new CoseError("COSE_Sign1 must be an array of four items");
  const [protectedBytes, unprotected, payload, signature] = parts;
  if (!(protectedBytes instanceof Uint8Array)) throw new CoseError("protected header must be a byte string");
  if (!cbor_check.isMap(unprotected)) throw new CoseError("unprotected header must be a map");
  if (unprotected.size) throw new CoseError("unprotected header must be empty");
  if (!(payload instanceof Uint8Array)) throw new CoseError("payload must be an attached byte string");
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) {
    throw new CoseError("signature must be a 64-byte string");
  }
  const kid = readProtected(protectedBytes);
  return Sign1(protectedBytes, kid, payload, signature);
}

function readProtected(protectedBytes) {
  let header;
  try {
    header = cbor_check.loads(protectedBytes, { maxDepth: 1 });
  } catch (exc) {
    if (exc instanceof cbor_check.CBORCheckError) throw new CoseError(`protected header is not CBOR: ${exc.message}`);
    throw exc;
  }
  if (!cbor_check.isMap(header)) throw new CoseError("protected header must be a map");
  if (!header.has(HEADER_ALG)) throw new CoseError("protected header has no algorithm");
  const alg = header.get(HEADER_ALG);
  if (alg !== ALG_EDDSA) throw new CoseError(`unsupported algorithm ${String(alg)}: only EdDSA (-8)`);
  const kid = header.get(HEADER_KID);
  if (kid === undefined || kid === null) throw new CoseError("protected header has no kid");
  if (!(kid instanceof Uint8Array) || kid.length !== KID_LENGTH) throw new CoseError(`kid must be a ${KID_LENGTH}-byte string`);
  const extra = [...header.keys()].filter((k) => k !== HEADER_ALG && k !== HEADER_KID);
  if (extra.length) throw new CoseError(`protected header has unexpected labels ${extra.map(String).join(", ")}`);
  return kid;
}

// --- Ed25519 ---------------------------------------------------------------------------

const ED25519 = { name: "Ed25519" };
// The Ed25519 base point, a valid public key: importing it tells whether WebCrypto
// knows the algorithm at all (an unknown algorithm and an invalid key both throw).
const PROBE_KEY = new Uint8Array(32).fill(0x66);
PROBE_KEY[0] = 0x58;

let backend = null;

/**
 * Which Ed25519 implementation verifies: "webcrypto" when crypto.subtle has Ed25519,
 * else "noble". Pass a name to force one (the tests run both).
 */
export async function ed25519Backend(force) {
  if (force) backend = force;
  if (backend === null) {
    try {
      await globalThis.crypto.subtle.importKey("raw", PROBE_KEY, ED25519, false, ["verify"]);
      backend = "webcrypto";
    } catch {
      backend = "noble";
    }
  }
  return backend;
}

/**
 * A verification key for 32 raw public-key bytes, made once and reused for every scan,
 * or null when the bytes cannot be a key.
 */
export async function importPublicKey(raw) {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) return null;
  if ((await ed25519Backend()) === "noble") return { raw: raw.slice() };
  try {
    return { raw: raw.slice(), key: await globalThis.crypto.subtle.importKey("raw", raw, ED25519, false, ["verify"]) };
  } catch {
    return null;
  }
}

/**
 * True when the signature is valid for `publicKey` (32 raw bytes, or what
 * importPublicKey made of them), over `externalAad` (empty but for an HB2 proof). Never
 * throws for a bad key or signature.
 */
export async function verify(sign1, publicKey, externalAad = NO_AAD) {
  const key = publicKey instanceof Uint8Array ? await importPublicKey(publicKey) : publicKey;
  if (!key) return false;
  const message = sigStructure(sign1.protected, sign1.payload, externalAad);
  try {
    if (key.key) return await globalThis.crypto.subtle.verify(ED25519, key.key, sign1.signature, message);
    return await nobleVerify(sign1.signature, message, key.raw, { zip215: false });
  } catch {
    return false;
  }
}
