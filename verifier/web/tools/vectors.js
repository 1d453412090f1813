/**
 * The published vectors, read from tests/vectors/manifest.json (tests/vectors/README.md
 * describes it): every vector with everything needed to run it, bundles by name.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const VECTOR_ROOT = fileURLToPath(new URL("../../../tests/vectors/", import.meta.url));

export const bytes = (hexText) => new Uint8Array(Buffer.from(hexText, "hex"));

/** The manifest: {format, bundles: {name: hex}, vectors: [...]}. */
export function readManifest() {
  const manifest = JSON.parse(readFileSync(join(VECTOR_ROOT, "manifest.json"), "utf8"));
  if (manifest.format !== 1) throw new Error(`manifest format ${manifest.format}: this runner reads 1`);
  return manifest;
}

/** A vector's bundle file, padded with zero bytes to `bundle_size` when it says so; null for none. */
export function bundleBytes(manifest, v) {
  if (v.bundle === null) return null;
  const data = bytes(manifest.bundles[v.bundle]);
  if (!v.bundle_size) return data;
  const padded = new Uint8Array(v.bundle_size);
  padded.set(data);
  return padded;
}
