/**
 * The published vectors (tests/vectors/), read for the conformance and differential tests,
 * and the one way to run a bundle vector's catch-up.
 *
 * Today every vector is its own JSON file under tests/vectors/<kind>/; when
 * tests/vectors/manifest.json lands, vectorFiles() is the one place that reads it instead.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const VECTOR_ROOT = fileURLToPath(new URL("../../../tests/vectors/", import.meta.url));

function walk(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return name.endsWith(".json") && name !== "manifest.json" ? [path] : [];
    });
}

/** Every vector file, as paths relative to tests/vectors/. */
export function vectorFiles() {
  return walk(VECTOR_ROOT).map((path) => relative(VECTOR_ROOT, path));
}

/** The vector at `path` (relative to tests/vectors/). */
export function readVector(path) {
  return JSON.parse(readFileSync(join(VECTOR_ROOT, path), "utf8"));
}

export const bytes = (hexText) => new Uint8Array(Buffer.from(hexText, "hex"));

/** Published files from a bundle vector's `files` (name -> hex); a name not there is a 404. */
export function memorySource(filesHex) {
  return {
    get(name) {
      if (!Object.hasOwn(filesHex, name)) return null;
      const data = bytes(filesHex[name]);
      return { data, etag: null, transferred: data.length };
    },
  };
}

/**
 * A bundle vector's catch-up, as tests/huicui_test_support/bundle_vectors.py runs it, with
 * `engine`'s bundle and catchup modules (the sources or the built file): what the device
 * then holds. A refusal is thrown (a BundleError).
 */
export async function catchUpVector(engine, v) {
  let held = null;
  if (v.held) {
    const payload = bytes(v.held.snapshot);
    const obj = engine.bundle.decodeMap(payload);
    held = await engine.catchup.Held.fromPayload(payload, obj, engine.bundle.fromMap(obj, "snapshot"));
  }
  const caught = await engine.catchup.catchUp(memorySource(v.files), {
    held,
    pinnedKey: bytes(v.pinned_key),
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
