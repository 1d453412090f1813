/**
 * Strict CBOR reading for bytes that arrive from a stranger's QR code or a carried file.
 *
 * Twin of huicui_verifier/cbor_check.py. Written here rather than taken from npm: the
 * common packages are lenient where a verifier must not be (cbor-x, for one, keeps the
 * last of two equal map keys, reads indefinite lengths and lets invalid UTF-8 through),
 * and two verifiers that read one signed message differently can disagree about it.
 *
 * The reading rule is deterministic encoding (RFC 8949 §4.2.1) at every layer:
 * every head uses the shortest form of its argument (integers, lengths, tags, simple
 * values); no indefinite lengths; map keys are integers or text, each key's encoding
 * strictly greater, bytewise, than the one before (so no key repeats); no floating-point
 * values; text strings valid UTF-8. Beyond it, the limits of the Python reader: every
 * declared length fits in what is left of the input, nesting no deeper than `maxDepth`
 * (counting non-empty arrays, maps and tags), semantic tags only at the very top and only
 * those in `topTags`, no simple values but false, true and null, no bytes after the item.
 *
 * Values come back as: integers as Number when safe (|n| <= 2^53 - 1), else BigInt, so
 * they stay exact; byte strings as Uint8Array; text as string; arrays as Array; maps as
 * Map; a tag as a Tag.
 */

/** Bytes that are not one well-formed CBOR item within the reading rules. */
export class CBORCheckError extends Error {
  constructor(detail) {
    super(detail);
    this.name = "CBORCheckError";
  }
}

/** A semantic tag and the item it wraps (only ever a top-level tag the caller allowed). */
export class Tag {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// The smallest argument each long head form may carry (else a shorter form exists);
// floats (major type 7) carry bits, not an argument, and are refused on their own.
const MIN_ARGUMENT = [24, 0x100, 0x10000, 0x100000000];
const SIMPLE = { 20: false, 21: true, 22: null };

function fail(detail) {
  throw new CBORCheckError(detail);
}

/** Compare two byte ranges of `data` bytewise; negative, zero or positive. */
function compareBytes(data, aStart, aEnd, bStart, bEnd) {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < n; i++) {
    const d = data[aStart + i] - data[bStart + i];
    if (d) return d;
  }
  return aEnd - aStart - (bEnd - bStart);
}

class Reader {
  constructor(data, maxDepth, topTags, ordered) {
    this.data = data;
    this.pos = 0;
    this.maxDepth = maxDepth;
    this.topTags = topTags;
    this.ordered = ordered;
  }

  /** Read one head: [major type, additional info, argument]; the argument may be a BigInt. */
  head() {
    const { data } = this;
    const start = this.pos;
    if (start >= data.length) fail("truncated: item expected at end of input");
    const initial = data[start];
    const major = initial >> 5;
    const info = initial & 0x1f;
    this.pos = start + 1;
    if (info < 24) return [major, info, info];
    if (info <= 27) {
      const size = 1 << (info - 24);
      if (this.pos + size > data.length) fail("truncated: head argument runs past end of input");
      let arg;
      if (size === 8) {
        arg = new DataView(data.buffer, data.byteOffset + this.pos, 8).getBigUint64(0);
        if (major !== 7 && arg < 0x100000000n) fail(`head at offset ${start} is not in its shortest form`);
        if (arg <= BigInt(Number.MAX_SAFE_INTEGER)) arg = Number(arg);
      } else {
        arg = 0;
        for (let i = 0; i < size; i++) arg = arg * 256 + data[this.pos + i];
        if (major !== 7 && arg < MIN_ARGUMENT[info - 24]) fail(`head at offset ${start} is not in its shortest form`);
      }
      this.pos += size;
      return [major, info, arg];
    }
    if (info === 31) fail(`indefinite length at offset ${start} is not allowed`);
    fail(`reserved additional information ${info} at offset ${start}`);
  }

  left() {
    return this.data.length - this.pos;
  }

  item(depth) {
    const start = this.pos;
    const [major, info, arg] = this.head();
    switch (major) {
      case 0:
        return arg;
      case 1:
        return typeof arg === "bigint" || arg >= Number.MAX_SAFE_INTEGER ? normalize(-1n - BigInt(arg)) : -1 - arg;
      case 2:
      case 3: {
        if (arg > this.left()) fail(`string at offset ${start} declares ${arg} bytes, only ${this.left()} left`);
        const bytes = this.data.subarray(this.pos, this.pos + arg);
        this.pos += arg;
        if (major === 2) return bytes.slice();
        try {
          return UTF8.decode(bytes);
        } catch {
          fail(`text at offset ${start} is not valid UTF-8`);
        }
        break;
      }
      case 4: {
        if (arg > this.left()) fail(`array at offset ${start} declares ${arg} items, only ${this.left()} bytes left`);
        if (arg && depth >= this.maxDepth) fail(`nesting deeper than ${this.maxDepth} at offset ${start}`);
        const out = new Array(arg);
        for (let i = 0; i < arg; i++) out[i] = this.item(depth + 1);
        return out;
      }
      case 5: {
        if (typeof arg === "bigint" || arg * 2 > this.left()) fail(`map at offset ${start} declares ${arg} pairs, only ${this.left()} bytes left`);
        if (arg && depth >= this.maxDepth) fail(`nesting deeper than ${this.maxDepth} at offset ${start}`);
        const out = new Map();
        const seen = this.ordered ? null : new Set();
        let prevStart = -1;
        let prevEnd = -1;
        for (let i = 0; i < arg; i++) {
          const keyStart = this.pos;
          const keyMajor = this.data[keyStart] >> 5;
          if (keyMajor !== 0 && keyMajor !== 1 && keyMajor !== 3) {
            fail(`map key at offset ${keyStart} must be an integer or text`);
          }
          const key = this.item(depth + 1);
          const keyEnd = this.pos;
          if (seen) {
            const raw = this.data.subarray(keyStart, keyEnd).join(",");
            if (seen.has(raw)) fail(`duplicate map key at offset ${keyStart}`);
            seen.add(raw);
          } else {
            const order = prevStart < 0 ? -1 : compareBytes(this.data, prevStart, prevEnd, keyStart, keyEnd);
            if (order === 0) fail(`duplicate map key at offset ${keyStart}`);
            if (order > 0) fail(`map key at offset ${keyStart} is out of order`);
          }
          prevStart = keyStart;
          prevEnd = keyEnd;
          out.set(key, this.item(depth + 1));
        }
        return out;
      }
      case 6: {
        if (depth > 0 || !this.topTags.has(arg)) fail(`tag ${arg} at offset ${start} is not allowed here`);
        if (depth >= this.maxDepth) fail(`nesting deeper than ${this.maxDepth} at offset ${start}`);
        return new Tag(arg, this.item(depth + 1));
      }
      default:
        // Simple values: only false, true and null; info 24 would be a one-byte simple
        // value and 25-27 floats, which deterministic Huicui data never holds.
        if (info in SIMPLE) return SIMPLE[info];
        if (info >= 25 && info <= 27) fail(`float at offset ${start} is not allowed`);
        fail(`simple value ${arg} at offset ${start} is not allowed`);
    }
  }
}

function normalize(n) {
  return n >= BigInt(-Number.MAX_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/**
 * Read `data` (a Uint8Array) as exactly one CBOR item under the reading rules above, or
 * throw CBORCheckError. `topTags` is a Set of the tag numbers allowed at the top. With
 * `ordered: false` map keys may come in any order (still never twice): for a caller that
 * compares the bytes with dumps() of what they say, as the bundle reader does.
 */
export function loads(data, { maxDepth, topTags = new Set(), ordered = true }) {
  const reader = new Reader(data, maxDepth, topTags, ordered);
  const value = reader.item(0);
  if (reader.pos !== data.length) fail(`${data.length - reader.pos} trailing bytes after the item`);
  return value;
}

/** True for a CBOR array as loads returns it. */
export function isArray(value) {
  return Array.isArray(value);
}

/** True for a CBOR map as loads returns it. */
export function isMap(value) {
  return value instanceof Map;
}

// --- writing --------------------------------------------------------------------------

const UTF8_OUT = new TextEncoder();

/** A growing byte buffer: a million revocations are 8 MB, too many for an Array of numbers. */
class Writer {
  constructor() {
    this.buf = new Uint8Array(256);
    this.length = 0;
  }

  room(n) {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
  }

  push(...values) {
    this.room(values.length);
    for (const v of values) this.buf[this.length++] = v;
  }

  pushBytes(data) {
    this.room(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  bytes() {
    return this.buf.slice(0, this.length);
  }
}

/** Append the shortest head of major type `major` and argument `arg` (Number or BigInt). */
function pushHead(out, major, arg) {
  const n = BigInt(arg);
  const top = major << 5;
  if (n < 24n) out.push(top | Number(n));
  else if (n < 0x100n) out.push(top | 24, Number(n));
  else if (n < 0x10000n) out.push(top | 25, Number(n >> 8n), Number(n & 0xffn));
  else {
    const size = n < 0x100000000n ? 4 : 8;
    out.push(top | (size === 4 ? 26 : 27));
    for (let i = size - 1; i >= 0; i--) out.push(Number((n >> BigInt(8 * i)) & 0xffn));
  }
}

function encodeItem(out, value) {
  if (value === null) out.push(0xf6);
  else if (value === false) out.push(0xf4);
  else if (value === true) out.push(0xf5);
  else if (typeof value === "number" || typeof value === "bigint") {
    if (typeof value === "number" && !Number.isInteger(value)) throw new TypeError("dumps: no floats");
    if (value < 0) pushHead(out, 1, -1n - BigInt(value));
    else pushHead(out, 0, value);
  } else if (typeof value === "string") {
    const data = UTF8_OUT.encode(value);
    pushHead(out, 3, data.length);
    out.pushBytes(data);
  } else if (value instanceof Uint8Array) {
    pushHead(out, 2, value.length);
    out.pushBytes(value);
  } else if (Array.isArray(value)) {
    pushHead(out, 4, value.length);
    for (const item of value) encodeItem(out, item);
  } else if (value instanceof Map) {
    // RFC 8949 §4.2.1: bytewise order of the encoded keys, as cbor_check.py's dumps
    // writes and its check requires (not cbor2's length-first canonical order).
    const entries = [...value].map(([k, v]) => {
      const key = new Writer();
      encodeItem(key, k);
      return [key.bytes(), v];
    });
    entries.sort(([a], [b]) => compareArrays(a, b));
    pushHead(out, 5, entries.length);
    for (const [key, v] of entries) {
      out.pushBytes(key);
      encodeItem(out, v);
    }
  } else throw new TypeError(`dumps: cannot encode ${Object.prototype.toString.call(value)}`);
}

function compareArrays(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length; // a prefix sorts first
}

/**
 * Encode deterministically, as cbor_check.py's dumps does, so a payload rebuilt here
 * hashes to what the service signed: shortest heads, definite lengths, map keys in
 * bytewise order of their encodings (RFC 8949 §4.2.1). Takes what loads returns (Map, Array, Uint8Array, string,
 * Number or BigInt integers, booleans, null).
 */
export function dumps(value) {
  const out = new Writer();
  encodeItem(out, value);
  return out.bytes();
}
