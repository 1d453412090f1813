/**
 * HB1: the honor certificate carried in a QR code.
 *
 * Twin of huicui_verifier/hb1.py (reading only: certificates are issued by the service).
 * "HB1:" + base45(COSE_Sign1(CWT claims)), EdDSA with a 4-byte kid; docs/hb1.md is the
 * specification. HB1 is closed: a claim or header it does not name is refused.
 */

import * as base45 from "./base45.js";
import * as cbor_check from "./cbor_check.js";
import * as cose from "./cose.js";
import { recognise } from "./foreign.js";

export const PREFIX = "HB1:";
export const MAX_TEXT_LENGTH = 1024; // a version-8 code holds ~211 characters; far past that is an attack
export const MAX_NAME_LENGTH = 32;
export const MAX_BENEFIT_CODE = 63;
// 9999-12-30T00:00:00Z, the latest time any local date can still be shown for.
export const MAX_TIMESTAMP = 253402128000;
export const DEFAULT_DIRECTORY = 1;

export const CLAIM_ISS = 1;
export const CLAIM_EXP = 4;
export const CLAIM_IAT = 6;
export const CLAIM_CTI = 7;
export const CLAIM_HUICUI = -65537;
export const HC_NAME = 1;
export const HC_ID_LAST4 = 2;
export const HC_BENEFITS = 3;
export const HC_DIRECTORY = 4;

/**
 * A certificate that cannot be read; `reason` is a decision reason code, `detail` names
 * the broken rule, `kind` what the text looked like (foreign.KINDS; "damaged" for a
 * Huicui code that does not read).
 */
export class HB1Error extends Error {
  constructor(reason, detail, kind = "damaged") {
    super(`${reason}: ${detail}`);
    this.name = "HB1Error";
    this.reason = reason;
    this.detail = detail;
    this.kind = kind;
  }
}

/** The bit field (Number or BigInt) back to sorted benefit codes; throws RangeError when out of range. */
export function bitsToBenefits(bits) {
  let rest = BigInt(bits);
  if (rest < 0n || rest & 1n || rest >> BigInt(MAX_BENEFIT_CODE + 1)) throw new RangeError(`benefit bits out of range: ${bits}`);
  const codes = [];
  for (let code = 1; rest; code++) {
    rest >>= 1n;
    if (rest & 1n) codes.push(code);
  }
  return codes;
}

/** True for a whole number as the CBOR reader returns it (Number or BigInt, never a boolean). */
export function isInt(value) {
  return (typeof value === "number" && Number.isInteger(value)) || typeof value === "bigint";
}

// Python's str.isprintable: no character of the Unicode categories Other (C*) or
// Separator (Z*), the ASCII space excepted.
const NON_PRINTABLE = /(?! )[\p{C}\p{Z}]/u;

/** Python's str.isprintable(). */
export function isPrintable(text) {
  return !NON_PRINTABLE.test(text);
}

/** Length in code points, as Python counts a str. */
export function codePoints(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Why these claims cannot be an HB1 certificate, or null when they can. */
export function claimsProblem(c) {
  if (typeof c.iss !== "string" || !/^[A-Za-z0-9]{2,4}$/.test(c.iss)) return "iss must be 2-4 ASCII letters or digits";
  if (!(isInt(c.iat) && isInt(c.exp)) || !(0 <= c.iat && c.iat < c.exp && c.exp <= MAX_TIMESTAMP)) {
    return "iat and exp must be whole seconds with 0 <= iat < exp <= 9999-12-30";
  }
  if (!(c.cti instanceof Uint8Array) || c.cti.length !== 8) return "cti must be exactly 8 bytes";
  if (typeof c.name !== "string" || !(codePoints(c.name) >= 1 && codePoints(c.name) <= MAX_NAME_LENGTH) || !isPrintable(c.name)) {
    return `name must be 1-${MAX_NAME_LENGTH} printable characters`;
  }
  if (typeof c.id_last4 !== "string" || !(codePoints(c.id_last4) >= 1 && codePoints(c.id_last4) <= 4) || !isPrintable(c.id_last4)) {
    return "id_last4 must be 1-4 printable characters";
  }
  if (c.benefits.some((b) => !(Number.isInteger(b) && b >= 1 && b <= MAX_BENEFIT_CODE))) return `benefit codes must be 1..${MAX_BENEFIT_CODE}`;
  if (!isInt(c.directory) || !(1 <= c.directory && c.directory < 2 ** 31)) return "directory must be a positive integer";
  return null;
}

function malformed(detail, kind = "damaged") {
  return new HB1Error("malformed", detail, kind);
}

/**
 * Parse an HB1 text without checking its signature: {kid, protected, payload,
 * signature, claims}. Throws HB1Error (reason "malformed", with a detail naming the rule)
 * for any input that is not exactly an HB1 certificate; never anything else.
 */
export function decode(text) {
  if (typeof text !== "string") throw malformed("input is not text", "not_huicui");
  if (codePoints(text) > MAX_TEXT_LENGTH) {
    const kind = text.startsWith(PREFIX) ? "damaged" : recognise(text);
    throw malformed(`input longer than ${MAX_TEXT_LENGTH} characters`, kind);
  }
  if (!text.startsWith(PREFIX)) throw malformed(`prefix ${JSON.stringify(PREFIX)} missing`, recognise(text));
  const raw = base45Body(text, PREFIX);
  let sign1;
  try {
    sign1 = cose.parse(raw);
  } catch (exc) {
    if (exc instanceof cose.CoseError) throw malformed(exc.message);
    throw exc;
  }
  const claims = readClaims(sign1.payload);
  return { kid: sign1.kid, protected: sign1.protected, payload: sign1.payload, signature: sign1.signature, claims };
}

/** The claims of a payload, read by every rule; throws HB1Error naming the broken one (Python's strict_claims). */
export function strictClaims(payload) {
  return readClaims(payload);
}

/** The bytes of `text` after `prefix` (HB1: or HB2:), Base45-decoded; throws HB1Error (malformed). */
export function base45Body(text, prefix) {
  try {
    return base45.decode(text.slice(prefix.length));
  } catch (exc) {
    if (exc instanceof base45.Base45Error) throw malformed(`base45 ${exc.code}: ${exc.detail}`);
    throw exc;
  }
}

/** The claims payload as strict CBOR (the claims map and the map under -65537); throws HB1Error. */
export function loadClaims(payload) {
  try {
    return cbor_check.loads(payload, { maxDepth: 2 });
  } catch (exc) {
    if (exc instanceof cbor_check.CBORCheckError) throw malformed(`claims are not CBOR: ${exc.message}`);
    throw exc;
  }
}

function readClaims(payload) {
  const cwt = loadClaims(payload);
  if (!cbor_check.isMap(cwt)) throw malformed("claims must be a map");
  const expected = [CLAIM_ISS, CLAIM_EXP, CLAIM_IAT, CLAIM_CTI, CLAIM_HUICUI];
  if (cwt.size !== expected.length || !expected.every((label) => cwt.has(label))) {
    const missing = expected.filter((label) => !cwt.has(label));
    throw malformed(missing.length ? `claims missing [${missing.join(", ")}]` : "claims carry unknown labels");
  }
  const priv = cwt.get(CLAIM_HUICUI);
  if (!cbor_check.isMap(priv)) throw malformed("claim -65537 must be a map");
  const known = [HC_NAME, HC_ID_LAST4, HC_BENEFITS, HC_DIRECTORY];
  if (![HC_NAME, HC_ID_LAST4, HC_BENEFITS].every((k) => priv.has(k)) || [...priv.keys()].some((k) => !known.includes(k))) {
    throw malformed("claim -65537 must hold keys 1, 2, 3 and optionally 4");
  }
  const bits = priv.get(HC_BENEFITS);
  if (!isInt(bits)) throw malformed("benefit bits must be an integer");
  let codes;
  try {
    codes = bitsToBenefits(bits);
  } catch (exc) {
    throw malformed(exc.message);
  }
  if (priv.has(HC_DIRECTORY) && (priv.get(HC_DIRECTORY) === DEFAULT_DIRECTORY || priv.get(HC_DIRECTORY) === true)) {
    throw malformed("directory 1 is the default and must be omitted");
  }
  const claims = {
    iss: cwt.get(CLAIM_ISS),
    iat: cwt.get(CLAIM_IAT),
    exp: cwt.get(CLAIM_EXP),
    cti: cwt.get(CLAIM_CTI),
    name: priv.get(HC_NAME),
    id_last4: priv.get(HC_ID_LAST4),
    benefits: codes,
    directory: priv.has(HC_DIRECTORY) ? priv.get(HC_DIRECTORY) : DEFAULT_DIRECTORY,
  };
  for (const field of ["iss", "name", "id_last4"]) {
    if (typeof claims[field] !== "string") throw malformed(`${field} must be str`);
  }
  if (!(claims.cti instanceof Uint8Array)) throw malformed("cti must be bytes");
  for (const field of ["exp", "iat", "directory"]) {
    if (!isInt(claims[field])) throw malformed(`${field} must be an integer`);
  }
  const problem = claimsProblem(claims);
  if (problem) throw malformed(problem);
  // Past the checks every number is small enough to be exact as a Number.
  for (const field of ["exp", "iat", "directory"]) claims[field] = Number(claims[field]);
  return claims;
}

/** True when the certificate's signature is valid for `publicKey` (32 raw bytes or an imported key). */
export function verify(decoded, publicKey) {
  return cose.verify(cose.Sign1(decoded.protected, decoded.kid, decoded.payload, decoded.signature), publicKey);
}
