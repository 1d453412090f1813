/**
 * Deltas between consecutive snapshots: made by the service, applied by devices.
 *
 * Twin of huicui_verifier/delta.py (applying only: the service makes them). A delta says
 * how snapshot `from` becomes snapshot `to`: the ids added to and removed from each list,
 * and the top-level fields replaced whole (keys, benefits, …). A device that holds `from`
 * (same version and hash) applies it, encodes the result deterministically and must
 * arrive at exactly `to_hash`: the result is then the very snapshot the service signed,
 * byte for byte, without downloading it.
 */

import { BundleError, contentHash, fromMap, sameBytes, sameInt } from "./bundle.js";
import { dumps } from "./cbor_check.js";
import { pyRepr } from "./convert.js";
import { splice } from "./revocations.js";

export const LISTS = ["revoked", "superseded"];

const EMPTY = new Uint8Array(0);

/**
 * Apply `delta` (a verified Delta) to the held snapshot map (a Map, whose payload hash is
 * `heldHash`). Resolves to {snapshot, payloadBytes, obj, hash, revoked}.
 *
 * Throws BundleError: wrong_program; not_chained when the delta starts from another
 * version or hash; hash_mismatch when the result is not to_hash (or an id to remove is
 * missing, or one to add is already there). `revoked`, the held RevocationSet, is
 * updated in place of being rebuilt when given.
 */
export async function apply(held, heldHash, delta, { revoked = null } = {}) {
  const program = held.get("program");
  if (delta.program !== program) {
    throw new BundleError("wrong_program", `delta of program ${pyRepr(delta.program)}, held ${typeof program === "string" ? pyRepr(program) : String(program)}`);
  }
  const version = held.get("version");
  if (!(isIntLike(version) && sameInt(delta.from_, version)) || !sameBytes(delta.from_hash, heldHash)) {
    throw new BundleError("not_chained", `delta from v${delta.from_} does not start at the held v${String(version)}`);
  }
  const next = new Map(held);
  for (const [key, value] of delta.set) next.set(key, value);
  next.set("version", delta.to);
  next.set("iat", delta.iat);
  try {
    for (const name of LISTS) next.set(name, splice(held.get(name) ?? EMPTY, delta[name].add, delta[name].remove));
  } catch (exc) {
    if (exc instanceof RangeError) throw new BundleError("hash_mismatch", `delta does not fit the held lists: ${exc.message}`);
    throw exc;
  }
  const payloadBytes = dumps(next);
  const digest = await contentHash(payloadBytes);
  if (!sameBytes(digest, delta.to_hash)) throw new BundleError("hash_mismatch", `v${delta.to} after the delta is not its to_hash`);
  const snapshot = fromMap(next, "snapshot");
  if (revoked !== null) revoked = revoked.updated(delta.revoked.add, delta.revoked.remove);
  return { snapshot, payloadBytes, obj: next, hash: digest, revoked };
}

const isIntLike = (v) => (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint";
