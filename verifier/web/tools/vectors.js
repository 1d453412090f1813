/**
 * The published vectors, read from tests/vectors/manifest.json (tests/vectors/README.md
 * describes it): every vector with everything needed to run it, file sets by name, and
 * the one way to run a catch-up vector.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const VECTOR_ROOT = fileURLToPath(new URL("../../../tests/vectors/", import.meta.url));

export const bytes = (hexText) => new Uint8Array(Buffer.from(hexText, "hex"));

/** The manifest: {format, bundles: {name: {snapshot, heartbeat, profile, announced}}, vectors}. */
export function readManifest() {
  const manifest = JSON.parse(readFileSync(join(VECTOR_ROOT, "manifest.json"), "utf8"));
  if (manifest.format !== 2) throw new Error(`manifest format ${manifest.format}: this runner reads 2`);
  return manifest;
}

/** A decision vector's file set opened as the device holds it (with its pinned key); null for none. */
export async function heldBundle(engine, manifest, v) {
  if (v.bundle === null) return null;
  const files = manifest.bundles[v.bundle];
  return engine.bundle.openBundle(bytes(files.snapshot), files.heartbeat === null ? null : bytes(files.heartbeat), bytes(files.profile), {
    pinnedKey: bytes(v.pinned_key),
    latestVersion: files.announced,
  });
}

/**
 * Published files from a catch-up vector's `files` (name -> hex), each followed by zero
 * bytes up to its size in `padded` when that names it; a name not there is a 404.
 */
export function memorySource(filesHex, padded = {}) {
  return {
    get(name) {
      if (!Object.hasOwn(filesHex, name)) return null;
      let data = bytes(filesHex[name]);
      if (Object.hasOwn(padded, name)) {
        const grown = new Uint8Array(padded[name]);
        grown.set(data);
        data = grown;
      }
      return { data, etag: null, transferred: data.length };
    },
  };
}

/**
 * A catch-up vector's catch-up, as tests/huicui_test_support/bundle_vectors.py runs it,
 * with `engine`'s bundle and catchup modules (the sources or the built file): what the
 * device then holds. A refusal is thrown (a BundleError).
 */
export async function catchUpVector(engine, v) {
  let held = null;
  if (v.held) {
    const payload = bytes(v.held.snapshot);
    const obj = engine.bundle.decodeMap(payload);
    held = await engine.catchup.Held.fromPayload(payload, obj, engine.bundle.fromMap(obj, "snapshot"));
  }
  const caught = await engine.catchup.catchUp(memorySource(v.files, v.padded ?? {}), {
    held,
    pinnedKey: v.pinned_key === null ? null : bytes(v.pinned_key),
    program: v.enrolled.program,
    venue: v.enrolled.venue,
    profileFile: `profile/${v.enrolled.venue}.cbor`,
    now: v.now,
    profileRev: v.held?.profile_rev ?? null,
  });
  const now = caught.held ?? held;
  return {
    outcome: "ok",
    version: now.snapshot.version,
    hash: engine.bundle.hex(now.hash),
    deltas: caught.deltas,
    snapshot_taken: caught.snapshotTaken,
    revoked: now.revoked.size,
    superseded: now.snapshot.superseded.length / 8,
  };
}
