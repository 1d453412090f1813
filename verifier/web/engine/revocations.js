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

  /** True when `cti` (8 bytes) is revoked. */
  has(cti) {
    if (!(cti instanceof Uint8Array) || cti.length !== ID_LENGTH) return false;
    return this.ids.has(new DataView(cti.buffer, cti.byteOffset, ID_LENGTH).getBigUint64(0));
  }

  get size() {
    return this.ids.size;
  }
}
