/**
 * The verifier bundle: everything a device needs to decide offline, signed by the program.
 *
 * Twin of huicui_verifier/bundle.py (reading only: bundles are made by the service).
 * A bundle file is the raw CBOR bytes of a COSE_Sign1 whose payload is a CBOR map with
 * text keys; docs/bundle.md is the specification. The device pins the bundle signer's
 * key at enrollment and from then on loads only bundles that key signed, never an older
 * version than it holds.
 */

import * as cbor_check from "./cbor_check.js";
import { zone } from "./clock.js";
import { ConvertError, arrayOf, bytes, int, literal, mapOf, nullable, optional, record, str } from "./convert.js";
import * as cose from "./cose.js";
import { codePoints, MAX_TIMESTAMP } from "./hb1.js";
import { BenefitInfo, policyProblems } from "./policy.js";
import { RevocationSet } from "./revocations.js";

export const FORMAT = 1;
export const MEDIA_TYPE = "application/cbor";
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024; // ~8 million revocations; far beyond a province's need
export const MAX_DEPTH = 10;
export const DEFAULT_SKEW = 300;

/** A name in zh-CN and en. */
export const LocalizedName = record({ zh: str, en: str });

/** A certificate-signing key: retired keys still verify, compromised ones refuse. */
export const KeyEntry = record({
  kid: bytes,
  pub: bytes,
  state: literal("active", "retired", "compromised"),
  nbf: int,
  exp: optional(nullable(int), null),
});

/** The venue this device serves; fail_mode says what to do with a stale bundle. */
export const VenueProfile = record({
  id: int,
  name_zh: str,
  name_en: str,
  kind: str,
  partner_id: int,
  benefits: arrayOf(int),
  fail_mode: literal("open", "closed"),
  // What a static card gets here (docs/hb2.md); absent means "accept".
  static_cards: optional(literal("accept", "check_id", "refuse"), "accept"),
});

/** The signed content of a bundle; keys it does not name are ignored (room for additions). */
export const BundlePayload = record({
  format: optional(int, FORMAT),
  program: str,
  program_name: LocalizedName,
  version: int,
  iat: int,
  exp: int,
  tz: optional(str, "Asia/Shanghai"),
  skew: optional(int, DEFAULT_SKEW),
  bundle_key: bytes,
  keys: arrayOf(KeyEntry),
  revoked: optional(bytes, new Uint8Array(0)),
  // sha256(device key)[0..8] of every superseded phone (HB2), sorted; absent when empty.
  superseded: optional(bytes, new Uint8Array(0)),
  benefits: arrayOf(BenefitInfo),
  directories: optional(mapOf(int, LocalizedName), new Map()),
  venue: VenueProfile,
});

/** A bundle the device must not load; `code` is one of the codes in docs/bundle.md. */
export class BundleError extends Error {
  constructor(code, detail) {
    super(`${code}: ${detail}`);
    this.name = "BundleError";
    this.code = code;
    this.detail = detail;
  }
}

/** Lower-case hex of bytes. */
export function hex(data) {
  let out = "";
  for (const b of data) out += b.toString(16).padStart(2, "0");
  return out;
}

async function sha256(data) {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", data));
}

/** The kid of a bundle signature: the first 4 bytes of sha256(raw public key). */
export async function bundleKid(bundleKey) {
  return (await sha256(bundleKey)).slice(0, 4);
}

/** Human-comparable fingerprint: sha256 of the raw key, first 16 bytes, XXXX-XXXX-… */
export async function fingerprint(pubkey32) {
  const digits = hex((await sha256(pubkey32)).slice(0, 16)).toUpperCase();
  return digits.match(/.{4}/g).join("-");
}

/** Accept a fingerprint typed with or without dashes, spaces or lower case. */
export function normalizeFingerprint(text) {
  const digits = text.toUpperCase().replace(/[^0-9A-F]/g, "");
  return (digits.match(/.{1,4}/g) || []).join("-");
}

const sameBytes = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Every rule `payload` breaks beyond its types; empty when it may be loaded. */
export function payloadProblems(payload) {
  const found = [];
  if (payload.format !== FORMAT) found.push(`format must be ${FORMAT}`);
  const programLength = codePoints(payload.program);
  if (!(programLength >= 2 && programLength <= 4)) found.push("program must be 2-4 characters");
  if (payload.version < 0 || !(0 <= payload.iat && payload.iat < payload.exp && payload.exp <= MAX_TIMESTAMP)) {
    found.push("version must be >= 0 and iat < exp (both before 9999-12-30)");
  }
  try {
    zone(payload.tz);
  } catch {
    found.push(`unknown time zone ${JSON.stringify(payload.tz)}`);
  }
  if (!(0 <= payload.skew && payload.skew <= 86400)) found.push("skew must be 0..86400 seconds");
  if (payload.bundle_key.length !== 32) found.push("bundle_key must be 32 bytes");
  const kids = new Set();
  for (const key of payload.keys) {
    if (key.kid.length !== cose.KID_LENGTH || key.pub.length !== 32) found.push(`key ${hex(key.kid)}: kid must be 4 bytes and pub 32 bytes`);
    if (kids.has(hex(key.kid))) found.push(`key ${hex(key.kid)} listed twice`);
    kids.add(hex(key.kid));
  }
  if (payload.revoked.length % 8) found.push("revoked must be a concatenation of 8-byte ids");
  if (payload.superseded.length % 8) found.push("superseded must be a concatenation of 8-byte key hashes");
  const codes = new Set();
  for (const info of payload.benefits) {
    if (codes.has(info.code)) found.push(`benefit code ${info.code} listed twice`);
    codes.add(info.code);
    for (const p of policyProblems(info.policy)) found.push(`benefit ${info.code}: ${p}`);
  }
  const missing = payload.venue.benefits.filter((code) => !codes.has(code));
  if (missing.length) found.push(`venue honors benefits [${missing.join(", ")}] that the benefit table lacks`);
  return found;
}

/** Decode and type-check payload bytes (no signature check); throws BundleError. */
export function readPayload(payloadBytes) {
  let obj;
  try {
    obj = cbor_check.loads(payloadBytes, { maxDepth: MAX_DEPTH });
  } catch (exc) {
    if (exc instanceof cbor_check.CBORCheckError) throw new BundleError("malformed", `payload is not CBOR: ${exc.message}`);
    throw exc;
  }
  if (!cbor_check.isMap(obj)) throw new BundleError("malformed", "payload must be a map");
  const format = obj.get("format");
  // `true` passes here as it does in Python (True == 1), to fail the type check below.
  if (format !== FORMAT && format !== true) {
    throw new BundleError("unsupported_format", `bundle format ${String(format)}, this verifier reads ${FORMAT}`);
  }
  let payload;
  try {
    payload = BundlePayload(obj);
  } catch (exc) {
    if (exc instanceof ConvertError) throw new BundleError("malformed", `payload: ${exc.message}`);
    throw exc;
  }
  const problems = payloadProblems(payload);
  if (problems.length) throw new BundleError("malformed", problems.join("; "));
  // Past the checks these are small enough to be exact as Numbers.
  for (const field of ["iat", "exp", "skew"]) payload[field] = Number(payload[field]);
  return payload;
}

/**
 * Verify and load a bundle file (a Uint8Array). Async: hashing and signatures use WebCrypto.
 *
 * The signature must verify with `pinnedKey` (32 raw bytes), which must also be the
 * payload's bundle_key. With pinnedKey null (first enrollment only) the bundle is trusted
 * on first use against its own bundle_key: the caller must then show its fingerprint for
 * comparison and pin the key. A version below `heldVersion` is refused. An expired
 * bundle still loads, with `expired` true. `now` is epoch seconds.
 *
 * Throws BundleError with code too_large, malformed, unsupported_format, wrong_key,
 * bad_signature or older_version.
 */
export async function load(data, { pinnedKey, heldVersion, now }) {
  if (!(data instanceof Uint8Array)) throw new BundleError("malformed", "bundle must be bytes");
  if (data.length > MAX_BUNDLE_BYTES) throw new BundleError("too_large", `bundle of ${data.length} bytes exceeds ${MAX_BUNDLE_BYTES}`);
  let sign1;
  try {
    sign1 = cose.parse(data, { maxDepth: 2 });
  } catch (exc) {
    if (exc instanceof cose.CoseError) throw new BundleError("malformed", exc.message);
    throw exc;
  }
  let payload;
  if (pinnedKey !== null && pinnedKey !== undefined) {
    if (!sameBytes(sign1.kid, await bundleKid(pinnedKey))) throw new BundleError("wrong_key", "bundle is signed by a key other than the pinned one");
    // The signature is checked before the payload is read: with a pinned key, nothing
    // unsigned is ever parsed beyond the outer envelope.
    if (!(await cose.verify(sign1, pinnedKey))) throw new BundleError("bad_signature", "bundle signature does not verify with the pinned key");
    payload = readPayload(sign1.payload);
    if (!sameBytes(payload.bundle_key, pinnedKey)) throw new BundleError("wrong_key", "bundle names a bundle_key other than the pinned one");
  } else {
    payload = readPayload(sign1.payload);
    if (!sameBytes(sign1.kid, await bundleKid(payload.bundle_key))) throw new BundleError("malformed", "kid does not match the bundle key");
    if (!(await cose.verify(sign1, payload.bundle_key))) {
      throw new BundleError("bad_signature", "bundle signature does not verify with its own bundle_key");
    }
  }
  if (heldVersion !== null && heldVersion !== undefined && payload.version < heldVersion) {
    throw new BundleError("older_version", `bundle version ${payload.version} is older than held ${heldVersion}`);
  }
  const publicKeys = new Map();
  for (const key of payload.keys) {
    // A key WebCrypto will not import is left out: it is judged from its bytes at scan time.
    const imported = await cose.importPublicKey(key.pub);
    if (imported) publicKeys.set(hex(key.pub), imported);
  }
  return {
    raw: data,
    payload,
    keys: new Map(payload.keys.map((k) => [hex(k.kid), k])),
    revoked: new RevocationSet(payload.revoked, { checkSorted: false }),
    superseded: new RevocationSet(payload.superseded, { checkSorted: false }),
    benefits: new Map(payload.benefits.map((b) => [b.code, b])),
    expired: now > payload.exp,
    publicKeys,
    version: payload.version,
    venue: payload.venue,
    fingerprint: () => fingerprint(payload.bundle_key),
    /** True when `nowTs` (epoch seconds) is past the bundle's expiry. */
    isStale: (nowTs) => nowTs > payload.exp,
  };
}
