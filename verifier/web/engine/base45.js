/**
 * Base45 (RFC 9285), the text form that lets an HB1 QR code use alphanumeric mode.
 *
 * Twin of huicui_verifier/base45.py. Written here rather than taken from npm: the
 * `base45` package accepts characters outside the alphabet, and a verifier reading
 * hostile codes needs the strict reading and an error that names the broken rule.
 */

export const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

// Character code -> digit value; 255 marks a character outside the alphabet.
const DIGITS = new Uint8Array(128).fill(255);
for (let i = 0; i < ALPHABET.length; i++) DIGITS[ALPHABET.charCodeAt(i)] = i;

/** Input that is not valid Base45; `code` names the broken rule. */
export class Base45Error extends Error {
  constructor(code, detail) {
    super(`${code}: ${detail}`);
    this.name = "Base45Error";
    this.code = code;
    this.detail = detail;
  }
}

/** Encode bytes (a Uint8Array) as Base45 text (RFC 9285 §4). */
export function encode(data) {
  let out = "";
  for (let i = 0; i + 1 < data.length; i += 2) {
    let n = data[i] * 256 + data[i + 1];
    const c = n % 45;
    n = (n - c) / 45;
    const d = n % 45;
    const e = (n - d) / 45;
    out += ALPHABET[c] + ALPHABET[d] + ALPHABET[e];
  }
  if (data.length % 2) {
    const last = data[data.length - 1];
    out += ALPHABET[last % 45] + ALPHABET[Math.floor(last / 45)];
  }
  return out;
}

/**
 * Decode Base45 text into a Uint8Array, refusing anything RFC 9285 does not allow.
 *
 * Throws Base45Error with code `bad_character` (a character outside the 45-character
 * alphabet, lower case included), `dangling_character` (a length that leaves one
 * character over) or `value_too_large` (a triplet above 65535 or a final pair above 255).
 */
export function decode(text) {
  if (text.length % 3 === 1) {
    throw new Base45Error("dangling_character", `length ${text.length} leaves one character over`);
  }
  const values = new Uint8Array(text.length);
  for (let pos = 0; pos < text.length; pos++) {
    const code = text.charCodeAt(pos);
    const v = code < 128 ? DIGITS[code] : 255;
    if (v === 255) {
      throw new Base45Error("bad_character", `${JSON.stringify(text[pos])} at position ${pos} is not in the alphabet`);
    }
    values[pos] = v;
  }
  const full = values.length - (values.length % 3);
  const out = new Uint8Array((full / 3) * 2 + (full < values.length ? 1 : 0));
  let o = 0;
  for (let i = 0; i < full; i += 3) {
    const n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025;
    if (n > 0xffff) throw new Base45Error("value_too_large", `triplet at position ${i} is ${n} > 65535`);
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  }
  if (full < values.length) {
    const n = values[full] + values[full + 1] * 45;
    if (n > 0xff) throw new Base45Error("value_too_large", `final pair at position ${full} is ${n} > 255`);
    out[o] = n;
  }
  return out;
}
