/**
 * Typed reading of decoded CBOR into plain records: what msgspec.convert(strict=True)
 * does for the Python verifier's Structs, with the same rules.
 *
 * A record's map must have text keys only; keys it does not name are ignored unless the
 * record forbids them (Policy does); a missing field takes its default or is an error.
 * Integers are never booleans; byte strings are never text. Every failure is a
 * ConvertError, which the bundle reader turns into reason `malformed`.
 */

import { isInt, isPrintable } from "./hb1.js";

/** Data whose shape or types are not what the record declares. */
export class ConvertError extends Error {
  constructor(detail) {
    super(detail);
    this.name = "ConvertError";
  }
}

const REQUIRED = Symbol("required");

function bad(path, what) {
  throw new ConvertError(`Expected ${what} at ${path}`);
}

export const any = (v) => v;
export const int = (v, path) => (isInt(v) ? v : bad(path, "int"));
export const str = (v, path) => (typeof v === "string" ? v : bad(path, "str"));
export const bytes = (v, path) => (v instanceof Uint8Array ? v : bad(path, "bytes"));
export const literal = (...values) => (v, path) => (values.includes(v) ? v : bad(path, values.join(" | ")));
export const nullable = (type) => (v, path) => (v === null ? null : type(v, path));
export const arrayOf = (type) => (v, path) => (Array.isArray(v) ? v.map((item, i) => type(item, `${path}[${i}]`)) : bad(path, "array"));
export const mapOf = (keyType, valueType) => (v, path) => {
  if (!(v instanceof Map)) bad(path, "object");
  const out = new Map();
  for (const [key, value] of v) out.set(keyType(key, `key in ${path}`), valueType(value, `${path}[${String(key)}]`));
  return out;
};

/** A field that may be left out, taking `value` (cloned per use when an array). */
export const optional = (type, value) => ({ type, value });

/**
 * A record type: `fields` maps each name to a type, or to optional(type, default).
 * With `forbidUnknown`, a key not named is an error. `rename` maps a field to the key it
 * has on the wire where the two differ (msgspec.field(name=...): `from_` is "from").
 */
export function record(fields, { forbidUnknown = false, rename = {} } = {}) {
  const wire = (name) => rename[name] ?? name;
  const spec = Object.entries(fields).map(([name, f]) => (typeof f === "function" ? [name, f, REQUIRED] : [name, f.type, f.value]));
  const known = new Set(Object.keys(fields).map(wire));
  return (v, path = "$") => {
    if (!(v instanceof Map)) bad(path, "object");
    for (const key of v.keys()) {
      if (typeof key !== "string") bad(`key in ${path}`, "str");
      if (forbidUnknown && !known.has(key)) throw new ConvertError(`Object contains unknown field ${JSON.stringify(key)} at ${path}`);
    }
    const out = {};
    for (const [name, type, fallback] of spec) {
      const key = wire(name);
      if (v.has(key)) out[name] = type(v.get(key), `${path}.${key}`);
      else if (fallback === REQUIRED) throw new ConvertError(`Object missing required field ${JSON.stringify(key)} at ${path}`);
      else out[name] = Array.isArray(fallback) ? [...fallback] : fallback instanceof Uint8Array ? fallback.slice() : fallback;
    }
    return out;
  };
}

/** Python's repr() of a str, for details that quote one. */
export function pyRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (cp < 0x7f || isPrintable(ch)) out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, "0")}`;
    else out += `\\U${cp.toString(16).padStart(8, "0")}`;
  }
  return out + quote;
}
