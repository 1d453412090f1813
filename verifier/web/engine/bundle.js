/**
 * Bundle format 2: what a device needs to decide offline, as four kinds of signed file.
 *
 * Twin of huicui_verifier/bundle.py (reading only: the service writes the files):
 * - a snapshot shared by every venue (keys, benefits with policies, directories, program
 *   settings, the revocation lists), named by the SHA-256 of its payload;
 * - a delta from one snapshot version to the next (delta.js);
 * - a tiny heartbeat ("the latest version is V, its hash is H, valid until T"): it, not
 *   the snapshot, proves freshness;
 * - the venue profile (name, benefits honored, fail mode, static-card policy).
 *
 * Each file is the raw CBOR bytes of a COSE_Sign1 by the program's bundle key, whose
 * payload is a deterministic CBOR map with text keys and a `type`. The device pins the
 * bundle key at enrollment. docs/bundle.md is the specification.
 */

import * as cbor_check from "./cbor_check.js";
import { PROGRAM_TZ, zone } from "./clock.js";
import { ConvertError, any, arrayOf, bytes, int, literal, mapOf, nullable, optional, pyRepr, record, str } from "./convert.js";
import * as cose from "./cose.js";
import { codePoints, MAX_TIMESTAMP } from "./hb1.js";
import { BenefitInfo, policyProblems } from "./policy.js";
import { checkPacked, RevocationSet } from "./revocations.js";

export const FORMAT = 2;
export const MEDIA_TYPE = "application/cbor";
export const MAX_FILE_BYTES = 64 * 1024 * 1024; // ~8 million revocations; far beyond a province's need
export const MAX_DEPTH = 10;
export const DEFAULT_SKEW = 300;
export const HASH_LENGTH = 32;
export const KINDS = ["snapshot", "delta", "heartbeat", "profile"];

const EMPTY = new Uint8Array(0);

/** A name in zh-CN and en. */
export const LocalizedName = record({ zh: str, en: str }, { forbidUnknown: true });

/** A certificate-signing key: retired keys still verify, compromised ones refuse. */
export const KeyEntry = record(
  {
    kid: bytes,
    pub: bytes,
    state: literal("active", "retired", "compromised"),
    nbf: int,
    exp: optional(nullable(int), null),
  },
  { forbidUnknown: true },
);

/** Everything every venue shares at one version (unknown top-level keys are kept in the map). */
export const Snapshot = record({
  format: optional(int, FORMAT),
  program: str,
  version: int,
  iat: int,
  program_name: LocalizedName,
  tz: optional(str, PROGRAM_TZ),
  skew: optional(int, DEFAULT_SKEW),
  bundle_key: bytes,
  keys: arrayOf(KeyEntry),
  benefits: arrayOf(BenefitInfo),
  directories: optional(mapOf(int, LocalizedName), new Map()),
  revoked: optional(bytes, EMPTY), // 8-byte certificate ids, sorted ascending, concatenated
  superseded: optional(bytes, EMPTY), // 8-byte hashes of superseded phone keys, likewise
});

/** Ids a delta adds to and removes from one packed list (each sorted, concatenated). */
export const Changes = record({ add: optional(bytes, EMPTY), remove: optional(bytes, EMPTY) }, { forbidUnknown: true });

/** How snapshot `from_` (hash `from_hash`) becomes snapshot `to` (hash `to_hash`). */
export const Delta = record(
  {
    format: optional(int, FORMAT),
    program: str,
    from_: int,
    from_hash: bytes,
    to: int,
    to_hash: bytes,
    iat: int, // the iat of snapshot `to`
    set: optional(mapOf(str, any), new Map()), // top-level snapshot fields replaced whole
    revoked: optional(Changes, { add: EMPTY, remove: EMPTY }),
    superseded: optional(Changes, { add: EMPTY, remove: EMPTY }),
  },
  { rename: { from_: "from" } },
);

/** The latest version and its snapshot hash, valid from `iat` until `exp`. */
export const Heartbeat = record({
  format: optional(int, FORMAT),
  program: str,
  version: int,
  hash: bytes,
  iat: int,
  exp: int,
});

/** The venue a device serves; `fail_mode` says what to do when the data is stale. */
export const VenueProfile = record(
  {
    format: optional(int, FORMAT),
    program: str,
    id: int,
    rev: int, // only grows: the venue's last change, epoch seconds
    name_zh: str,
    name_en: str,
    kind: str,
    partner_id: int,
    benefits: arrayOf(int),
    fail_mode: literal("open", "closed"),
    static_card: optional(literal("accept", "check_id", "refuse"), "accept"),
    // Only at a "refuse" venue, and then `benefits` is empty: the codes a live phone card
    // (HB2) is honored for, so a verifier from before HB2 honors nothing there.
    live_benefits: optional(nullable(arrayOf(int)), null),
  },
  { rename: { id: "venue" } },
);

/** The benefit codes honored at the venue of profile `v` (Python's VenueProfile.honored). */
export function honored(v) {
  return v.live_benefits === null ? v.benefits : v.live_benefits;
}

const TYPES = { snapshot: Snapshot, delta: Delta, heartbeat: Heartbeat, profile: VenueProfile };
// Python's type names, for the details that quote them.
const TYPE_NAMES = { snapshot: "Snapshot", delta: "Delta", heartbeat: "Heartbeat", profile: "VenueProfile" };
// Fields a delta may not replace through `set`: identity, version and the two lists
// (those change through their own add/remove).
export const FIXED_FIELDS = new Set(["format", "type", "program", "version", "iat", "bundle_key", "revoked", "superseded"]);

/** A file the device must not take; `code` is one of the codes in docs/bundle.md. */
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

/** True when two byte strings are equal. */
export const sameBytes = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

/** True when two integers (Number or BigInt, as the reader gives them) are equal. */
export const sameInt = (a, b) => BigInt(a) === BigInt(b);

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

/** A snapshot's name: SHA-256 of its payload bytes (the CBOR inside the COSE_Sign1). */
export function contentHash(payloadBytes) {
  return sha256(payloadBytes);
}

// --- rules beyond the types ---------------------------------------------------------

function commonProblems(p) {
  const found = [];
  if (p.format !== FORMAT) found.push(`format must be ${FORMAT}`);
  const length = codePoints(p.program);
  if (!(length >= 2 && length <= 4)) found.push("program must be 2-4 characters");
  return found;
}

const timeOk = (...values) => values.every((v) => v >= 0 && v <= MAX_TIMESTAMP);

/** Every rule snapshot `s` breaks beyond its types; empty when it may be used. */
export function snapshotProblems(s) {
  const found = commonProblems(s);
  if (s.version < 0 || !timeOk(s.iat)) found.push("version and iat must be >= 0 (iat before 9999-12-30)");
  try {
    zone(s.tz);
  } catch {
    found.push(`unknown time zone ${JSON.stringify(s.tz)}`);
  }
  if (!(s.skew >= 0 && s.skew <= 86400)) found.push("skew must be 0..86400 seconds");
  if (s.bundle_key.length !== 32) found.push("bundle_key must be 32 bytes");
  const kids = new Set();
  for (const key of s.keys) {
    if (key.kid.length !== cose.KID_LENGTH || key.pub.length !== 32) found.push(`key ${hex(key.kid)}: kid must be 4 bytes and pub 32 bytes`);
    if (kids.has(hex(key.kid))) found.push(`key ${hex(key.kid)} listed twice`);
    kids.add(hex(key.kid));
  }
  const codes = new Set();
  for (const info of s.benefits) {
    if (codes.has(info.code)) found.push(`benefit code ${info.code} listed twice`);
    codes.add(info.code);
    for (const p of policyProblems(info.policy)) found.push(`benefit ${info.code}: ${p}`);
  }
  for (const name of ["revoked", "superseded"]) {
    const problem = checkPacked(s[name]);
    if (problem) found.push(`${name}: ${problem}`);
  }
  return found;
}

/** Every rule heartbeat `h` breaks beyond its types. */
export function heartbeatProblems(h) {
  const found = commonProblems(h);
  if (h.version < 0 || h.hash.length !== HASH_LENGTH) found.push("version must be >= 0 and hash 32 bytes");
  if (!(timeOk(h.iat, h.exp) && h.iat < h.exp)) found.push("iat < exp required (both before 9999-12-30)");
  return found;
}

/** Every rule profile `v` breaks beyond its types. */
export function profileProblems(v) {
  const found = commonProblems(v);
  if (v.id < 0 || v.partner_id < 0 || !timeOk(v.rev)) found.push("venue, partner_id and rev must be >= 0");
  if (!v.benefits.every((code, i) => i === 0 || v.benefits[i - 1] < code)) found.push("benefits must be sorted ascending without repeats");
  const live = v.live_benefits;
  if (live !== null && !live.every((code, i) => i === 0 || live[i - 1] < code)) found.push("live_benefits must be sorted ascending without repeats");
  if (v.static_card === "refuse" && (v.benefits.length || live === null)) {
    found.push("a refuse venue lists its benefits as live_benefits, with benefits empty");
  }
  if (v.static_card !== "refuse" && live !== null) found.push("live_benefits belongs to a refuse venue only");
  return found;
}

/** Every rule delta `d` breaks beyond its types (chaining is checked when applied). */
export function deltaProblems(d) {
  const found = commonProblems(d);
  if (!(d.from_ >= 0 && d.from_ < d.to)) found.push("from must be >= 0 and below to");
  if (d.from_hash.length !== HASH_LENGTH || d.to_hash.length !== HASH_LENGTH) found.push("from_hash and to_hash must be 32 bytes");
  if (!timeOk(d.iat)) found.push("iat must be >= 0");
  const fixed = [...d.set.keys()].filter((k) => FIXED_FIELDS.has(k)).sort();
  if (fixed.length) found.push(`set may not replace ${fixed.join(", ")}`);
  for (const name of ["revoked", "superseded"]) {
    for (const part of ["add", "remove"]) {
      const problem = checkPacked(d[name][part]);
      if (problem) found.push(`${name}.${part}: ${problem}`);
    }
  }
  return found;
}

const PROBLEMS = { snapshot: snapshotProblems, delta: deltaProblems, heartbeat: heartbeatProblems, profile: profileProblems };

/** Every rule `payload` of `kind` breaks; empty when it is valid. */
export function problems(payload, kind) {
  return PROBLEMS[kind](payload);
}

// --- reading ------------------------------------------------------------------------

/** The payload as a plain map (a Map); refuses non-CBOR and non-deterministic encodings. */
export function decodeMap(payloadBytes) {
  let obj;
  try {
    // Key order is judged below, by encoding again, exactly as the Python reader does.
    obj = cbor_check.loads(payloadBytes, { maxDepth: MAX_DEPTH, ordered: false });
  } catch (exc) {
    if (exc instanceof cbor_check.CBORCheckError) throw new BundleError("malformed", `payload is not CBOR: ${exc.message}`);
    throw exc;
  }
  if (!cbor_check.isMap(obj)) throw new BundleError("malformed", "payload must be a map");
  if ([...obj.keys()].some((k) => typeof k !== "string")) throw new BundleError("malformed", "payload keys must be text");
  // (No float can be here: the reader refuses every one.) One reading for every
  // verifier: the bytes must be exactly the deterministic encoding of what they say.
  if (!sameBytes(cbor_check.dumps(obj), payloadBytes)) throw new BundleError("malformed", "payload is not deterministically encoded");
  return obj;
}

/** Type-check a decoded payload map as `kind`; throws BundleError. */
export function fromMap(obj, kind) {
  const format = obj.get("format");
  // (Details quote the odd value roughly; only the code is normative.)
  if (format !== FORMAT) throw new BundleError("unsupported_format", `format ${String(format)}, this verifier reads ${FORMAT}`);
  const type = obj.get("type");
  if (type !== kind) throw new BundleError("wrong_type", `a ${kind} was expected, this is ${typeof type === "string" ? pyRepr(type) : String(type)}`);
  let payload;
  try {
    payload = TYPES[kind](obj);
  } catch (exc) {
    if (exc instanceof ConvertError) throw new BundleError("malformed", `${kind}: ${exc.message}`);
    throw exc;
  }
  const found = problems(payload, kind);
  if (found.length) throw new BundleError("malformed", `${kind}: ${found.join("; ")}`);
  return payload;
}

/** The COSE_Sign1 around a file's payload, nothing verified yet; throws BundleError (malformed). */
export function parseEnvelope(data) {
  try {
    return cose.parse(data, { maxDepth: 2 });
  } catch (exc) {
    if (exc instanceof cose.CoseError) throw new BundleError("malformed", exc.message);
    throw exc;
  }
}

/**
 * Verify a signed file (a Uint8Array) of `kind` and read it: resolves to
 * {payload, payloadBytes, obj}. Async: hashing and signatures use WebCrypto.
 *
 * With `pinnedKey` (32 raw bytes) the kid and the signature must match it before the
 * payload is read at all, and a snapshot must name it as its bundle_key. Only a snapshot
 * may be opened with pinnedKey null (first enrollment): it is then trusted on first use
 * against its own bundle_key, and the caller must compare fingerprint() with the one the
 * office shows.
 *
 * Throws BundleError (too_large, malformed, unsupported_format, wrong_type, wrong_key,
 * bad_signature).
 */
export async function openFile(data, kind, { pinnedKey }) {
  if (!(data instanceof Uint8Array)) throw new BundleError("malformed", "a bundle file must be bytes");
  if (data.length > MAX_FILE_BYTES) throw new BundleError("too_large", `${data.length} bytes exceed ${MAX_FILE_BYTES}`);
  const sign1 = parseEnvelope(data);
  if (pinnedKey === null || pinnedKey === undefined) {
    if (kind !== "snapshot") throw new BundleError("wrong_key", `a ${kind} can only be read with a pinned key`);
    const obj = decodeMap(sign1.payload);
    const payload = fromMap(obj, kind);
    if (!sameBytes(sign1.kid, await bundleKid(payload.bundle_key))) throw new BundleError("malformed", "kid does not match the snapshot's bundle_key");
    if (!(await cose.verify(sign1, payload.bundle_key))) throw new BundleError("bad_signature", "signature does not verify with its bundle_key");
    return { payload, payloadBytes: sign1.payload, obj };
  }
  if (!sameBytes(sign1.kid, await bundleKid(pinnedKey))) throw new BundleError("wrong_key", `${kind} is signed by a key other than the pinned one`);
  // The signature first: with a pinned key nothing unsigned is parsed past the envelope.
  if (!(await cose.verify(sign1, pinnedKey))) throw new BundleError("bad_signature", `${kind} signature does not verify with the pinned key`);
  const obj = decodeMap(sign1.payload);
  const payload = fromMap(obj, kind);
  if (kind === "snapshot" && !sameBytes(payload.bundle_key, pinnedKey)) throw new BundleError("wrong_key", "snapshot names a bundle_key other than the pinned one");
  return { payload, payloadBytes: sign1.payload, obj };
}

// --- what a device decides with -----------------------------------------------------

/**
 * A device's data: a snapshot, its venue's profile, and the heartbeat that vouches.
 *
 * `freshUntil` is the exp of the heartbeat that named exactly this snapshot (version and
 * hash); 0 when none did, so the data counts as stale. `checkedAt` is that heartbeat's
 * iat (or the snapshot's): the clock must not be behind it.
 */
export class Bundle {
  constructor({ snapshot, snapshotHash, profile, freshUntil, checkedAt, keys, revoked, benefits, superseded = new RevocationSet(), publicKeys = new Map(), latestVersion = null }) {
    // superseded: 8-byte hashes of superseded phone keys (HB2); their live codes are refused.
    Object.assign(this, { snapshot, snapshotHash, profile, freshUntil, checkedAt, keys, revoked, benefits, superseded, publicKeys, latestVersion });
  }

  /** The snapshot version held; a device never goes back to a smaller one. */
  get version() {
    return this.snapshot.version;
  }

  /** The profile of the venue this device serves. */
  get venue() {
    return this.profile;
  }

  /** The program id (equals the certificates' iss). */
  get program() {
    return this.snapshot.program;
  }

  /** The program's time zone, for limits, hours and displayed times. */
  get tz() {
    return this.snapshot.tz;
  }

  /** Clock-skew tolerance in seconds. */
  get skew() {
    return this.snapshot.skew;
  }

  /** Fingerprint of the bundle key, as shown at enrollment (a promise). */
  fingerprint() {
    return fingerprint(this.snapshot.bundle_key);
  }

  /** True when a heartbeat announced a newer version than the one held. */
  get behind() {
    return this.latestVersion !== null && this.latestVersion > this.version;
  }

  /** True from freshUntil on (`now == freshUntil` is already stale). */
  isStale(nowTs) {
    return nowTs >= this.freshUntil;
  }
}

/**
 * The device view of a snapshot, a profile and (if it vouches for them) a heartbeat.
 *
 * The caller has verified all three. A profile or heartbeat of another program is
 * refused (wrong_program); a heartbeat for this version with another hash is refused
 * (hash_mismatch); one for another version gives no freshness.
 */
export async function assemble(snapshot, snapshotHash, profile, heartbeat, { revoked = null, latestVersion = null } = {}) {
  for (const [other, kind] of [
    [profile, "profile"],
    [heartbeat, "heartbeat"],
  ]) {
    if (other !== null && other.program !== snapshot.program) {
      throw new BundleError("wrong_program", `${TYPE_NAMES[kind]} of program ${pyRepr(other.program)}, snapshot of ${pyRepr(snapshot.program)}`);
    }
  }
  let freshUntil = 0;
  let checkedAt = snapshot.iat;
  if (heartbeat !== null && sameInt(heartbeat.version, snapshot.version)) {
    if (!sameBytes(heartbeat.hash, snapshotHash)) throw new BundleError("hash_mismatch", `heartbeat names another snapshot for v${snapshot.version}`);
    freshUntil = heartbeat.exp;
    checkedAt = heartbeat.iat;
  } else if (heartbeat !== null && heartbeat.version > snapshot.version) {
    const before = latestVersion ?? 0;
    latestVersion = before > heartbeat.version ? before : heartbeat.version;
  }
  return new Bundle({
    snapshot,
    snapshotHash,
    profile,
    freshUntil,
    checkedAt,
    keys: new Map(snapshot.keys.map((k) => [hex(k.kid), k])),
    revoked: revoked ?? new RevocationSet(snapshot.revoked, { checkSorted: false }),
    benefits: new Map(snapshot.benefits.map((b) => [b.code, b])),
    superseded: new RevocationSet(snapshot.superseded, { checkSorted: false }),
    publicKeys: await publicKeys(snapshot.keys),
    latestVersion,
  });
}

/**
 * Verify three signed files (snapshot, heartbeat or null, profile) and assemble them.
 *
 * `program` and `venue` are what the device was enrolled for: data for another is
 * refused (wrong_program, other_venue). `latestVersion` is a newer version a later
 * heartbeat announced that the device could not reach (it then warns bundle_behind).
 * Used by the vectors and by devices that load files carried on a stick.
 */
export async function openBundle(snapshot, heartbeat, profile, { pinnedKey, program = null, venue = null, latestVersion = null }) {
  const snap = await openFile(snapshot, "snapshot", { pinnedKey });
  const prof = (await openFile(profile, "profile", { pinnedKey })).payload;
  const beat = heartbeat ? (await openFile(heartbeat, "heartbeat", { pinnedKey })).payload : null;
  checkEnrolled(snap.payload, { program });
  checkEnrolled(prof, { program, venue, isProfile: true });
  return assemble(snap.payload, await contentHash(snap.payloadBytes), prof, beat, { latestVersion });
}

/** Refuse data for another program (wrong_program) or, for a profile, venue (other_venue). */
export function checkEnrolled(payload, { program = null, venue = null, isProfile = false }) {
  if (program !== null && payload.program !== program) {
    throw new BundleError("wrong_program", `this device serves program ${pyRepr(program)}, not ${pyRepr(payload.program)}`);
  }
  if (venue !== null && isProfile && !sameInt(payload.id, venue)) throw new BundleError("other_venue", `this device serves venue ${venue}, not venue ${payload.id}`);
}

/** Key objects for every certificate key WebCrypto accepts, by the hex of the raw key. */
async function publicKeys(keys) {
  const out = new Map();
  for (const key of keys) {
    // A key WebCrypto will not import is left out: it is judged from its bytes at scan time.
    const imported = await cose.importPublicKey(key.pub);
    if (imported) out.set(hex(key.pub), imported);
  }
  return out;
}
