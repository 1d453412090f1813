/**
 * The revoked-certificate list: one byte string on the wire, a hash set in memory.
 *
 * Twin of huicui_verifier/revocations.py. On the wire the ids are sorted 8-byte
 * big-endian strings, concatenated; in memory each becomes a BigInt in a Set, so a
 * lookup at the gate is one hash probe.
 */

export const ID_LENGTH = 8;

function asInts(packed) {
  if (packed.length % ID_LENGTH) throw new RangeError(`revoked list length ${packed.length} is not a multiple of ${ID_LENGTH}`);
  const view = new DataView(packed.buffer, packed.byteOffset, packed.length);
  const values = new Array(packed.length / ID_LENGTH);
  for (let i = 0; i < values.length; i++) values[i] = view.getBigUint64(i * ID_LENGTH);
  return values;
}

/** Revoked certificate ids, answering has(cti) in constant time. */
export class RevocationSet {
  /** Read the packed form (a Uint8Array); with checkSorted refuse ids out of order or repeated. */
  constructor(packed = new Uint8Array(0), { checkSorted = true } = {}) {
    const values = asInts(packed);
    this.ids = new Set(values);
    if (checkSorted && values.some((v, i) => i > 0 && values[i - 1] >= v)) {
      throw new RangeError("revoked ids must be sorted ascending without repeats");
    }
  }

  /**
   * A new set with the packed ids `add` added and `remove` removed: cheaper than reading
   * the whole new list again.
   */
  updated(add = new Uint8Array(0), remove = new Uint8Array(0)) {
    const next = Object.create(RevocationSet.prototype);
    next.ids = new Set(this.ids);
    for (const id of asInts(remove)) next.ids.delete(id);
    for (const id of asInts(add)) next.ids.add(id);
    return next;
  }

  /** True when `cti` (8 bytes) is revoked. */
  has(cti) {
    if (!(cti instanceof Uint8Array) || cti.length !== ID_LENGTH) return false;
    return this.ids.has(new DataView(cti.buffer, cti.byteOffset, ID_LENGTH).getBigUint64(0));
  }

  get size() {
    return this.ids.size;
  }
}

/**
 * Why `packed` is not a list of 8-byte ids sorted ascending without repeats, or null.
 */
export function checkPacked(packed) {
  let values;
  try {
    values = asInts(packed);
  } catch (exc) {
    if (exc instanceof RangeError) return exc.message;
    throw exc;
  }
  for (let i = 1; i < values.length; i++) if (!(values[i - 1] < values[i])) return "ids must be sorted ascending without repeats";
  return null;
}

/** Index of the first id in `values` (BigInts, ascending) not below `id` (binary search). */
function position(values, id) {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const idHex = (id) => id.toString(16).padStart(2 * ID_LENGTH, "0");

/**
 * The sorted list `packed` with the sorted lists `add` added and `remove` removed.
 *
 * A binary search per changed id and one copy. Throws RangeError when an id to add is
 * already there or an id to remove is not (the delta was made for another list).
 */
export function splice(packed, add = new Uint8Array(0), remove = new Uint8Array(0)) {
  const values = asInts(packed);
  const edits = [];
  for (const id of asInts(remove)) {
    const pos = position(values, id);
    if (values[pos] !== id) throw new RangeError(`id ${idHex(id)} to remove is not in the list`);
    edits.push([pos, null]);
  }
  for (const id of asInts(add)) {
    const pos = position(values, id);
    if (values[pos] === id) throw new RangeError(`id ${idHex(id)} to add is already in the list`);
    edits.push([pos, id]);
  }
  // At one position a removal (of the id there) comes before an insertion (before it);
  // the sort is stable, so insertions at one position keep their ascending order.
  edits.sort((a, b) => a[0] - b[0] || (a[1] !== null) - (b[1] !== null));
  const out = new Uint8Array(packed.length + add.length - remove.length);
  const view = new DataView(out.buffer);
  let start = 0;
  let at = 0;
  const copy = (from, to) => {
    out.set(packed.subarray(from * ID_LENGTH, to * ID_LENGTH), at);
    at += (to - from) * ID_LENGTH;
  };
  for (const [pos, id] of edits) {
    if (pos > start) {
      copy(start, pos);
      start = pos;
    }
    if (id === null) start = pos + 1;
    else {
      view.setBigUint64(at, id);
      at += ID_LENGTH;
    }
  }
  copy(start, values.length);
  return out;
}
